"""The README's generated sections."""

from dncnn.analysis import report


def test_update_readme_replaces_only_the_marked_block(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold\n{report.END}\noutro\n")
    monkeypatch.setattr(report, "render_results", lambda profile: f"new for {profile}")
    report.update_readme("quick", readme=readme)
    assert readme.read_text() == f"intro\n{report.START}\nnew for quick\n{report.END}\noutro\n"
