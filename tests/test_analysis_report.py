"""The README's generated sections."""

from dncnn.analysis import report


def test_update_readme_replaces_only_the_marked_block(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{report.START}\nold\n{report.END}\noutro\n")
    monkeypatch.setattr(report, "render_results", lambda profile: f"new for {profile}")
    report.update_readme("quick", readme=readme)
    assert readme.read_text() == f"intro\n{report.START}\nnew for quick\n{report.END}\noutro\n"


def test_update_readme_shows_the_paper_run_before_the_quick_run(tmp_path, monkeypatch):
    from dncnn import config

    readme = tmp_path / "README.md"
    readme.write_text(f"{report.START}\n{report.END}\n")
    for name in ("quick", "paper"):
        (tmp_path / "results" / name).mkdir(parents=True)
        (tmp_path / "results" / name / "summary.md").write_text("table")
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / "results" / profile)
    monkeypatch.setattr(report, "render_results", lambda profile: f"[{profile}]")
    report.update_readme("quick", readme=readme)
    assert readme.read_text() == f"{report.START}\n[paper]\n\n[quick]\n{report.END}\n"
    report.update_readme("smoke", readme=readme)  # a profile asked for is shown even without results
    assert "[paper]\n\n[quick]\n\n[smoke]" in readme.read_text()


def test_render_results_says_what_was_loaded_and_what_the_estimate_was(tmp_path, monkeypatch):
    from dncnn import config
    from dncnn.files import atomic

    results = tmp_path / "results" / "paper"
    estimate = {"device": "CPU: X, 2 cores", "steps_total": 93100, "seconds_per_step": 6.1, "estimated_seconds": 567910.0,
                "steps_timed": 3, "warmup_steps": 2}
    atomic.save_json(results / "training.json", {"train": False, "reason": "not trained here: no GPU", "estimate": estimate})
    atomic.save_text(results / "tasks_check.csv", "psnr_diff,ssim_diff\n0.0,0.0\n-2e-06,0.0\n")
    monkeypatch.setattr(config, "results_dir", lambda profile, stage=None: tmp_path / "results" / profile)
    monkeypatch.setattr(config, "figures_dir", lambda profile, stage=None: tmp_path / "figures" / profile)
    text = report.render_results("paper")
    assert text.startswith("### `PROFILE=paper`")
    assert "93,100 steps x 6.1 s = 6.6 days" in text and "training: not trained here: no GPU" in text
    assert "2 DnCNN-3 and colour rows rerun here" in text and "within 2.0e-06 dB" in text
