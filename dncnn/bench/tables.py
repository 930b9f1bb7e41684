"""The benchmark's tables: ratios against the baselines and the ceiling, the Markdown of ``results/bench.md`` and
``results/bench_cli.md``."""

from __future__ import annotations

from pathlib import Path

from .measure import dncnn_flops_per_pixel

def add_ratios(table, *, flops_per_pixel: int):
    """Megapixels/s, GFLOP/s and fraction of the matmul ceiling for each DnCNN timing."""
    table = table.copy()
    ceiling = float(table.loc[table.task == "ceiling", "gflops"].iloc[0])
    table["megapixels_per_second"] = table["pixels"] / table["seconds"] / 1e6
    dncnn = table["method"].str.contains("keras|pytorch") & (table.task == "inference")
    gflops = table["pixels"] * flops_per_pixel / table["seconds"] / 1e9
    table.loc[dncnn, "gflops"] = gflops[dncnn]
    train = table["method"].str.contains("keras|pytorch") & (table.task == "training")
    table.loc[train, "gflops"] = 3 * gflops[train]  # forward + backward (two convolutions per layer)
    table["fraction_of_ceiling"] = table["gflops"] / ceiling
    table.loc[table.task == "ceiling", "fraction_of_ceiling"] = 1.0
    return table


def write_bench(table, *, out_dir: Path, machine: str, extra: dict) -> None:
    """``bench.csv``, ``bench.md`` (with the ratios the targets name) and ``bench.json`` in ``out_dir``."""
    from ..files import atomic

    atomic.save_csv(out_dir / "bench.csv", table)
    atomic.save_text(out_dir / "bench.md", format_bench(table, machine=machine))
    atomic.save_json(out_dir / "bench.json", extra)


def format_bench(table, *, machine: str) -> str:
    """The benchmark as Markdown, with the ratios of the targets computed from this run."""
    ceiling = float(table.loc[table.task == "ceiling", "gflops"].iloc[0])
    lines = [f"Machine: {machine}. Matmul ceiling (numpy float32): {ceiling:.1f} GFLOP/s. "
             f"DnCNN-S: {dncnn_flops_per_pixel():,} FLOP per pixel.", "",
             "| task | method | size | seconds | Mpixel/s | GFLOP/s | of ceiling |", "|---|---|---|---|---|---|---|"]
    for r in table[table.task != "ceiling"].itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) and v == v else "" for v in (r.seconds, r.megapixels_per_second)]
        frac = f"{r.fraction_of_ceiling:.0%}" if r.fraction_of_ceiling == r.fraction_of_ceiling else ""
        gf = f"{r.gflops:.1f}" if r.gflops == r.gflops else ""
        lines.append(f"| {r.task} | {r.method} | {r.size} | {cells[0]} | {cells[1]} | {gf} | {frac} |")
    lines += ["", *summarize_ratios(table)]
    return "\n".join(lines) + "\n"


def summarize_ratios(table) -> list[str]:
    """Sentences with the ratios the targets name, computed from the table."""
    out = []
    inf = table[table.task == "inference"].dropna(subset=["seconds"])
    dn = inf[inf.method.str.contains("keras|pytorch")]
    if not dn.empty:
        best = dn.loc[dn.groupby("size")["seconds"].idxmin()]
        for r in best.itertuples(index=False):
            bm = inf[(inf.method.str.startswith("BM3D")) & (inf["size"] == r.size)]
            vs = f"; BM3D takes {float(bm.seconds.iloc[0]) / r.seconds:.1f}x as long" if not bm.empty else ""
            out.append(f"- {r.size}: fastest DnCNN path is {r.method} at {r.fraction_of_ceiling:.0%} of the ceiling{vs}.")
        torch = dn[dn.method.str.startswith("pytorch")]
        for r in torch.itertuples(index=False):
            ours = dn[(dn["size"] == r.size) & dn.method.str.contains("denoise API")].seconds.min()
            out.append(f"- {r.size}: the denoise API takes {ours / r.seconds:.2f}x the PyTorch peer's time.")
    out += summarize_training_ratios(table)
    p = table[table.task == "patches"]
    if len(p) == 2:
        loop = float(p[p.method.str.contains("loop")].seconds.iloc[0])
        ours = float(p[p.method.str.contains("ours")].seconds.iloc[0])
        out.append(f"- Patch preparation: {loop / ours:.1f}x faster than the per-patch loop ({ours:.2f} s against {loop:.2f} s).")
    return out


def summarize_training_ratios(table) -> list[str]:
    """One sentence: each Keras backend's seconds per training step as a multiple of the PyTorch
    peer's at the same batch (none without a peer row)."""
    train = table[(table.task == "training")].dropna(subset=["seconds"])
    peer = train[train.method.str.startswith("pytorch")]
    if peer.empty:
        return []
    r = peer.iloc[0]
    ours = train[train.method.str.startswith("keras") & (train["size"] == r["size"])]
    if ours.empty:
        return []
    parts = [f"{o.method} takes {o.seconds / r.seconds:.2f}x" for o in ours.itertuples(index=False)]
    return [f"- Training ({r['size']}): {', '.join(parts)} the PyTorch peer's time per step."]


def format_denoise_cli(rows: list[dict], *, machine: str, sigma: float = 25.0) -> str:
    """The CLI benchmark as Markdown."""
    lines = [f"`python -m dncnn denoise` on BSD68 images (sigma {sigma:g} noise, 8-bit PNG, DnCNN-S authors' "
             f"weights). Machine: {machine}.", "",
             "| way | images | seconds | seconds per image |", "|---|---|---|---|"]
    lines += [f"| {r['method']} | {r['images']} | {r['seconds']:.1f} | {r['seconds_per_image']:.2f} |" for r in rows]
    ratio = rows[1]["seconds_per_image"] / rows[0]["seconds_per_image"]
    lines += ["", f"One call per image takes {ratio:.1f}x as long per image as one folder call "
                  "(start-up: imports, model load and compilation, paid once per call)."]
    return "\n".join(lines) + "\n"
