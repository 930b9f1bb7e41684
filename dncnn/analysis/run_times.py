"""The paper's Table IV in words: the findings of ``results/table4.csv`` (:mod:`dncnn.bench.table4`,
``make bench``) and its claims row, "DnCNN is efficient on a GPU, and comparable to BM3D on a CPU"."""

from __future__ import annotations

from pathlib import Path

from .. import config

CLAIM = "DnCNN is efficient on a GPU, and comparable to BM3D on a CPU (Table IV)"
# "comparable": BM3D's seconds within this factor of DnCNN-S's, either way (the paper: 0.88x to 0.98x)
COMPARABLE_FACTOR = 2.0
# "efficient on a GPU": DnCNN-S on the GPU at most this fraction of BM3D's seconds on the CPU (the paper: 1/46 to 1/59)
GPU_EFFICIENT_FRACTION = 0.1


def _span(values, spec: str = ".2f") -> str:
    """``"a"`` or ``"a to b"`` (the smallest and largest of ``values``, formatted with ``spec``)."""
    low, high = f"{min(values):{spec}}", f"{max(values):{spec}}"
    return low if low == high else f"{low} to {high}"


def bm3d_multiples(table, method: str = "DnCNN-S") -> dict:
    """How many times as long BM3D takes as ``method`` at each size: ``{"here": {size: x}, "paper":
    {size: x}}`` from Table IV's rows (:func:`dncnn.bench.table4.build_table4`), sizes measured here only."""
    rows = table[table.method == method].dropna(subset=["ratio_to_bm3d"])
    here = {int(r.size): 1 / r.ratio_to_bm3d for r in rows.itertuples(index=False)}
    paper = {int(r.size): 1 / r.paper_ratio_to_bm3d for r in rows.itertuples(index=False) if r.paper_ratio_to_bm3d == r.paper_ratio_to_bm3d}
    return {"here": here, "paper": paper}


def describe_table_iv(table) -> list[str]:
    """The findings sentences of Table IV, computed from it: BM3D's time as a multiple of each
    network's here against the paper's, CBM3D's against CDnCNN-B's, and the GPU column."""
    out = []
    for method, reference in (("DnCNN-S", "BM3D"), ("DnCNN-B", "BM3D"), ("CDnCNN-B", "CBM3D")):
        if reference == "BM3D":
            times = bm3d_multiples(table, method)
        else:
            wide = table.set_index(["method", "size"]).cpu_seconds
            times = {"here": {s: wide[(reference, s)] / wide[(method, s)] for s in sorted(set(table["size"]))
                              if (reference, s) in wide.index and (method, s) in wide.index}, "paper": {}}
        if not times["here"]:
            continue
        sizes = sorted(times["here"])
        paper = f" (the paper: {_span(times['paper'].values())}x)" if times["paper"] else " (not in the paper's table)"
        out.append(f"{reference} takes {_span(times['here'].values(), '.1f')}x as long as {method} on the CPU here at "
                   f"{_span(sizes, 'd')} px{paper}.")
    gpu = table.dropna(subset=["gpu_seconds"])
    if gpu.empty:
        out.append("GPU: not measured yet.")
    for method in dict.fromkeys(gpu.method):
        rows = gpu[gpu.method == method].sort_values("size")
        r = rows.iloc[-1]
        paper = f"; the paper's Titan X: {r.paper_gpu_seconds:g} s" if r.paper_gpu_seconds == r.paper_gpu_seconds else ""
        cpu = f", {r.cpu_seconds / r.gpu_seconds:.0f}x faster than on the CPU here" if r.cpu_seconds == r.cpu_seconds else ""
        out.append(f"On the GPU ({r.gpu_device}), {method} takes {r.gpu_seconds:.4f} s at {int(r['size'])} px{cpu}{paper}.")
    return out


def judge_table_iv(table) -> tuple[str, str]:
    """``(verdict, numbers)`` of the Table IV claim from Table IV's rows: on the CPU, BM3D's seconds
    against DnCNN-S's (:data:`COMPARABLE_FACTOR`); on the GPU, DnCNN-S's against BM3D's on the CPU
    (:data:`GPU_EFFICIENT_FRACTION`), or "GPU: not measured yet"."""
    times = bm3d_multiples(table)
    here = list(times["here"].values())
    sizes = _span(sorted(times["here"]), "d")
    if min(here) > COMPARABLE_FACTOR:
        cpu = "holds on the CPU (DnCNN-S faster than BM3D)"
    elif max(here) < 1 / COMPARABLE_FACTOR:
        cpu = "fails on the CPU (DnCNN-S slower than BM3D)"
    else:
        cpu = "holds on the CPU"
    numbers = (f"BM3D takes {_span(here, '.1f')}x as long as DnCNN-S at {sizes} px on {table.cpu_device.iloc[0]} "
               f"(the paper: {_span(times['paper'].values())}x)")
    s = table[(table.method == "DnCNN-S")].dropna(subset=["gpu_seconds"])
    if s.empty:
        return f"GPU: not measured yet; {cpu}", numbers + "; GPU: not measured yet"
    bm3d = table[table.method == "BM3D"].set_index("size").cpu_seconds
    fractions = [r.gpu_seconds / bm3d[r.size] for r in s.itertuples(index=False) if r.size in bm3d.index]
    gpu = "holds on the GPU" if fractions and max(fractions) <= GPU_EFFICIENT_FRACTION else "not shown on the GPU"
    numbers += (f"; DnCNN-S on the GPU ({s.gpu_device.iloc[0]}): {_span(s.gpu_seconds, '.4f')} s at {_span(sorted(s['size']), 'd')} px "
                f"(the paper's Titan X: {_span(s.paper_gpu_seconds.dropna(), 'g')} s)"
                + (f", BM3D on the CPU takes {_span([1 / f for f in fractions], '.0f')}x as long" if fractions else ""))
    return f"{gpu}; {cpu}", numbers


def table_iv_claims(path: Path | None = None) -> list[tuple[str, str, str]]:
    """The claims row of the paper's Table IV (``results/table4.csv``, ``make bench``): what holds here
    on the CPU and the GPU (:func:`judge_table_iv`); a row saying "not measured yet" where the table is
    absent."""
    import pandas as pd

    path = Path(path or config.RESULTS_DIR / "table4.csv")
    if not path.exists():
        return [(CLAIM, "not measured yet", "`make bench` writes `results/table4.csv` (BM3D and DnCNN at 256 to 1024 px)")]
    verdict, numbers = judge_table_iv(pd.read_csv(path))
    return [(CLAIM, verdict, numbers + " (`results/table4.csv`)")]
