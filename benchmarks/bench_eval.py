"""Speed of ``srbench eval`` against a straightforward per-image loop, measured in the same run.

Runs the full x4 evaluation of bicubic on Set5 + Set14 + BSD100 twice:

* srbench: :func:`srbench.evaluate.evaluate` (batched, cached filters, transposed portraits);
* the loop: :mod:`srbench.testing.numpy_reference`, one image at a time (numpy MATLAB resize, scikit-image
  SSIM, piq FSIM and VIFp).

It checks that both give the same values, prints the speed ratios for PSNR + SSIM and for all four metrics, and
where srbench's time goes. Targets on 2 CPU cores: >= 5x for PSNR + SSIM, >= 2x for all four metrics.

Usage: ``python benchmarks/bench_eval.py [--data-root DIR] [--device auto] [--quick]``
(data root defaults to ``$SRBENCH_DATA`` or ``../shared/datasets``; ``--quick`` uses Set5 + Set14 only).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from srbench.data.datasets import resolve_dataset
from srbench.device import resolve_device
from srbench.evaluate import evaluate
from srbench.methods import resolve_method
from srbench.testing.numpy_reference import bicubic_scores_np

PAIR = ("psnr", "ssim")
ALL = ("psnr", "ssim", "fsim", "vif")


def loop(datasets: list, scale: int, metrics: tuple[str, ...]) -> tuple[pd.DataFrame, float]:
    t0 = time.perf_counter()
    rows = []
    for ds in datasets:
        for img in ds.images:
            scores = bicubic_scores_np(img.load(), scale, metrics)
            rows.append({"dataset": ds.name, "image": img.id, **scores})
    return pd.DataFrame(rows), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data-root",
        default=os.environ.get("SRBENCH_DATA", str(Path(__file__).resolve().parents[1].parent / "shared" / "datasets")),
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--quick", action="store_true", help="Set5 + Set14 only")
    args = ap.parse_args()
    root = Path(args.data_root)
    names = ["set5", "set14"] if args.quick else ["set5", "set14", "bsd100"]
    datasets = [resolve_dataset(n, root) for n in names]
    device = resolve_device(args.device)
    n_images = sum(len(d) for d in datasets)
    print(f"x{args.scale} bicubic on {' + '.join(d.title for d in datasets)} ({n_images} images), device {device}")

    results = {}
    for metrics in (PAIR, ALL):
        t0 = time.perf_counter()
        res = evaluate(datasets, [resolve_method("bicubic")], [args.scale], metrics, device=device)
        t_sr = time.perf_counter() - t0
        ref, t_loop = loop(datasets, args.scale, metrics)
        merged = res.rows.merge(ref, on=["dataset", "image"], suffixes=("", "_loop"))
        assert len(merged) == n_images
        diffs = {m: float(np.max(np.abs(merged[m] - merged[f"{m}_loop"]))) for m in metrics}
        results[metrics] = (t_sr, t_loop, diffs, res.timings)

    print()
    print(f"{'metrics':<22}{'srbench s':>10}{'loop s':>10}{'speed-up':>10}{'target':>8}   max |diff| vs loop")
    for metrics, target in ((PAIR, 5.0), (ALL, 2.0)):
        t_sr, t_loop, diffs, _ = results[metrics]
        ratio = t_loop / t_sr
        flag = "ok" if ratio >= target else "MISS"
        d = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
        print(f"{'+'.join(metrics):<22}{t_sr:>10.2f}{t_loop:>10.2f}{ratio:>9.1f}x{target:>6.0f}x {flag}  {d}")
    print()
    print("where srbench's time goes (all four metrics):")
    timings = results[ALL][3]
    total = sum(timings.values())
    for stage, sec in sorted(timings.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<10}{sec:>8.2f} s {100 * sec / total:>5.1f} %  {1000 * sec / n_images:>7.1f} ms/image")


if __name__ == "__main__":
    main()
