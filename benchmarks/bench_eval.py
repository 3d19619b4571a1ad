"""Speed of ``srbench eval`` against a straightforward per-image loop, measured in the same run.

Runs the full x4 evaluation of bicubic on Set5 + Set14 + BSD100 twice, for PSNR + SSIM and for all four metrics:

* srbench: :func:`srbench.evaluate.evaluate` (image groups of one shape on worker threads, one torch thread
  each, each worker decoding its own group's PNGs; compiled CPU kernels (:mod:`srbench.kernels`) for SSIM, the
  resize passes, luminance, rounding and PSNR; cached resize taps and FSIM filter banks; VIF in strips);
* the loop: PIL decoding and :mod:`srbench.testing.numpy_reference`, one image at a time on one core (numpy
  MATLAB resize, scikit-image SSIM, piq FSIM and VIFp; torch set to 1 thread, ``--loop-threads`` to change: with torch's
  default 2 threads the loop's all-metric run took 23 s on a quiet 2-core machine and 253 s on a busy one,
  piq's intra-op threads contending, which made the ratio meaningless).

Both sides decode the PNGs inside their timing (srbench on its workers, overlapped with other groups' work),
so the ratios are for the whole evaluation from files. The ratios without decoding are printed too: the loop's
decode time is subtracted, and srbench is run once more on images decoded beforehand. Before timing, both sides
run once on a random 300 x 400 image (imports, first-call set-up, the memory allocator's growth) and srbench's per-shape
caches are cleared, so neither side starts warm on the benchmark's own shapes. It checks that both give the
same values (the loop's piq runs in float32, hence the VIF tolerance), prints the speed ratios against the
targets (on 2 CPU cores: >= 5x for PSNR + SSIM, >= 2x for all four metrics) as wall-clock and as process CPU
time (the CPU ratio compares the work done: srbench's 2 workers count twice, and it moves less when other
processes share the machine), and where srbench's time goes. Exits 1 when values disagree.

srbench uses both cores (worker threads); the loop uses one, as a straightforward loop does; the targets are
for 2 cores, so the wall-clock ratio is the one compared with them.

The PSNR + SSIM comparison is repeated (``--repeat``, default 3, the two sides interleaved) and the fastest run
of each side is compared, as ``timeit`` does: on a shared 2-core VM single runs of either side vary by 20 %; the
ratio of the medians is printed too. All four metrics run once (``--repeat-all``).

Usage: ``python benchmarks/bench_eval.py [--data-root DIR] [--device cpu|cuda|auto] [--workers N] [--quick]``
(data root defaults to ``$SRBENCH_DATA`` or ``../shared/datasets``; ``--quick`` uses Set5 + Set14 only;
``--datasets`` takes dataset names or folders of HR images instead).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from srbench.data.datasets import Dataset, ImageEntry, folder_dataset, resolve_dataset
from srbench.device import resolve_device
from srbench.evaluate import EvalRequest, evaluate
from srbench.evaluate.workers import default_workers
from srbench.methods import resolve_method
from srbench.metrics.fsim import clear_filter_bank_cache
from srbench.protocol import imresize as imresize_module
from srbench.testing.numpy_reference import bicubic_scores_np

PAIR = ("psnr", "ssim")
ALL = ("psnr", "ssim", "fsim", "vif")
TARGETS = {PAIR: 5.0, ALL: 2.0}
TOLERANCE = {"psnr": 1e-3, "ssim": 1e-5, "fsim": 1e-5, "vif": 2e-3}
"""Largest accepted |srbench - loop|: the loop's numpy resize sums taps in another order (a few exact .5 ties
round the other way: PSNR ~1e-5 dB), its piq FSIM and VIFp run in float32 (VIF ~1e-3)."""


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0
    decode_wall: float = 0.0
    decode_cpu: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


def pil_decode(img: ImageEntry) -> np.ndarray:
    """The loop's decoding: PIL, as a hand-written script would (srbench's own reader takes a faster path)."""
    if img.path is None:
        return img.load()
    with Image.open(img.path) as im:
        return np.asarray(im.convert("RGB") if im.mode not in ("RGB", "L") else im)


def loop(datasets: list[Dataset], scale: int, metrics: tuple[str, ...]) -> tuple[pd.DataFrame, Timing]:
    """The straightforward per-image loop; PNG decoding is timed on its own as well."""
    t = Timing()
    w0, c0 = time.perf_counter(), time.process_time()
    rows = []
    for ds in datasets:
        for img in ds.images:
            w1, c1 = time.perf_counter(), time.process_time()
            pixels = pil_decode(img)
            t.decode_wall += time.perf_counter() - w1
            t.decode_cpu += time.process_time() - c1
            rows.append({"dataset": ds.name, "image": img.id, **bicubic_scores_np(pixels, scale, metrics)})
    t.wall, t.cpu = time.perf_counter() - w0, time.process_time() - c0
    return pd.DataFrame(rows), t


def predecoded(datasets: list[Dataset]) -> list[Dataset]:
    """The same datasets with every image decoded now: their loaders return the arrays (for the no-decode run)."""
    out = []
    for ds in datasets:
        images = tuple(dataclasses.replace(img, load=(lambda a=img.load(): a)) for img in ds.images)
        out.append(dataclasses.replace(ds, images=images))
    return out


def run_srbench(
    datasets: list[Dataset], scale: int, metrics: tuple[str, ...], device: torch.device, workers: int
) -> tuple[pd.DataFrame, Timing]:
    clear_filter_bank_cache()
    imresize_module._contributions.cache_clear()
    imresize_module._contributions_t.cache_clear()
    w0, c0 = time.perf_counter(), time.process_time()
    res = evaluate(EvalRequest(datasets, [resolve_method("bicubic")], [scale], metrics, device=device, workers=workers))
    t = Timing(time.perf_counter() - w0, time.process_time() - c0, stages=dict(res.timings))
    return res.rows, t


def warm_up(device: torch.device, scale: int) -> None:
    """Both sides once on a random 300 x 400 image (a shape no benchmark set has): imports, first-call set-up
    and the memory allocator's growth, which otherwise land on whichever side runs first."""
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    bicubic_scores_np(hr, scale, ALL)
    with tempfile.TemporaryDirectory() as tmp:
        Image.fromarray(hr).save(Path(tmp) / "warm.png")
        evaluate(EvalRequest([folder_dataset(Path(tmp))], [resolve_method("bicubic")], [scale], ALL, device=device))


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--data-root",
        default=os.environ.get("SRBENCH_DATA", str(Path(__file__).resolve().parents[1].parent / "shared" / "datasets")),
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None, help="srbench worker threads (default: evaluate's)")
    ap.add_argument("--loop-threads", type=int, default=1, help="torch intra-op threads in the loop (default 1)")
    ap.add_argument("--quick", action="store_true", help="Set5 + Set14 only")
    ap.add_argument("--repeat", type=int, default=3, help="PSNR + SSIM runs of each side, the fastest reported")
    ap.add_argument("--repeat-all", type=int, default=1, help="runs of each side with all four metrics")
    ap.add_argument("--datasets", nargs="+", default=None, help="dataset names or folders instead of the default")
    args = ap.parse_args()
    root = Path(args.data_root)
    names = args.datasets or (["set5", "set14"] if args.quick else ["set5", "set14", "bsd100"])
    datasets = [resolve_dataset(n, root) for n in names]
    device = resolve_device(args.device)
    workers = args.workers if args.workers is not None else default_workers(device)
    n_images = sum(len(d) for d in datasets)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"x{args.scale} bicubic on {' + '.join(d.title for d in datasets)} ({n_images} images)")
    torch.set_num_threads(args.loop_threads)  # evaluate() sets its own (1) and restores this one
    print(
        f"srbench: device {device}, {workers} worker thread(s), torch 1 thread each; loop: one image at a time, "
        f"torch {torch.get_num_threads()} thread(s); {cores} CPU core(s) available; PNG decode timed in both"
    )
    print("(srbench uses all the cores it is given, the loop one; the targets are for 2 CPU cores)")
    warm_up(device, args.scale)

    results = {}
    failed = False
    decoded_sets = predecoded(datasets)
    spread: dict[tuple[str, ...], tuple[list[float], list[float]]] = {}
    for metrics in (PAIR, ALL):
        runs = args.repeat if metrics == PAIR else args.repeat_all
        sr_runs, loop_runs = [], []
        for _ in range(runs):  # interleaved, so that a busy spell of the machine hits both sides
            sr_runs.append(run_srbench(datasets, args.scale, metrics, device, workers))
            loop_runs.append(loop(datasets, args.scale, metrics))
        rows, t_sr = min(sr_runs, key=lambda r: r[1].wall)  # the fastest of the repeats, as timeit does
        ref, t_loop = min(loop_runs, key=lambda r: r[1].wall)
        spread[metrics] = ([r[1].wall for r in sr_runs], [r[1].wall for r in loop_runs])
        _, t_nodecode = run_srbench(decoded_sets, args.scale, metrics, device, workers)
        t_sr.decode_wall = max(0.0, t_sr.wall - t_nodecode.wall)  # what decoding adds to srbench's elapsed time
        merged = rows.merge(ref, on=["dataset", "image"], suffixes=("", "_loop"))
        if len(merged) != n_images:
            print(f"error: {len(merged)} of {n_images} images matched between srbench and the loop")
            return 1
        diffs = {m: float(np.max(np.abs(merged[m] - merged[f"{m}_loop"]))) for m in metrics}
        failed |= any(diffs[m] > TOLERANCE[m] for m in metrics)
        results[metrics] = (t_sr, t_loop, diffs)

    print()
    print(f"{'':<20}{'srbench':>16}{'loop':>16}   {'speed-up (loop / srbench)':<40}")
    print(
        f"{'metrics':<20}{'wall s':>8}{'cpu s':>8}{'wall s':>8}{'cpu s':>8}   "
        f"{'wall':>6}{'cpu':>6}{'no decode':>11}{'target':>8}"
    )
    for metrics, (t_sr, t_loop, _) in results.items():
        wall = _ratio(t_loop.wall, t_sr.wall)
        no_decode = _ratio(t_loop.wall - t_loop.decode_wall, t_sr.wall - t_sr.decode_wall)
        target = TARGETS[metrics]
        flag = "ok" if wall >= target else "MISS"
        print(
            f"{'+'.join(metrics):<20}{t_sr.wall:>8.2f}{t_sr.cpu:>8.2f}{t_loop.wall:>8.2f}{t_loop.cpu:>8.2f}   "
            f"{wall:>5.1f}x{_ratio(t_loop.cpu, t_sr.cpu):>5.1f}x{no_decode:>10.1f}x{target:>7.0f}x  {flag}"
        )
    print(
        "(wall: elapsed time, the targeted ratio; cpu: process CPU time of all threads, i.e. work done; no decode: "
        "wall without PNG decoding on either side: the loop's decode time subtracted, srbench run again on "
        "images decoded beforehand)"
    )
    for metrics, (sr_walls, loop_walls) in spread.items():
        if len(sr_walls) > 1:
            fmt = ", ".join
            print(
                f"{'+'.join(metrics)}: {len(sr_walls)} runs each, fastest reported; wall s srbench "
                f"{fmt(f'{w:.2f}' for w in sr_walls)}; loop {fmt(f'{w:.2f}' for w in loop_walls)}; ratio of the "
                f"medians {_ratio(float(np.median(loop_walls)), float(np.median(sr_walls))):.1f}x"
            )
    print()
    print("max |srbench - loop| (tolerance):")
    for metrics, (_, _, diffs) in results.items():
        d = ", ".join(f"{k} {v:.1e} ({TOLERANCE[k]:.0e})" for k, v in diffs.items())
        print(f"  {'+'.join(metrics):<20}{d}")
    t_loop = results[ALL][1]
    print(f"loop decode: {t_loop.decode_wall:.2f} s wall, {1000 * t_loop.decode_cpu / n_images:.1f} ms cpu/image")

    for metrics in (PAIR, ALL):
        t_sr = results[metrics][0]
        total = sum(t_sr.stages.values())
        print()
        print(
            f"where srbench's time goes ({'+'.join(metrics)}; thread-seconds per stage, summed over "
            f"{workers} worker(s); wall {t_sr.wall:.2f} s):"
        )
        for stage, sec in sorted(t_sr.stages.items(), key=lambda kv: -kv[1]):
            print(f"  {stage:<10}{sec:>8.2f} s {100 * sec / total:>5.1f} %  {1000 * sec / n_images:>7.1f} ms/image")
    if failed:
        print("\nerror: srbench and the loop disagree beyond the tolerance")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
