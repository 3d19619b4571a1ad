"""``evaluate(request)``: score methods on datasets at scales under one protocol, reusing finished results.

The request (:class:`srbench.evaluate.request.EvalRequest`) says what to score, how, and where the rows go.

Work is batched without changing any value:

* degradation and methods run on groups of images of one shape (:mod:`srbench.evaluate.grouping`; the LR
  geometry is then shared), through :mod:`srbench.evaluate.method_stage`;
* metrics run on groups of one shape; every metric scores each image of a batch on its own, so a value never
  depends on the batch it was in (:mod:`srbench.evaluate.scoring`; pinned by tests: bit-identical alone and
  batched);
* groups run on ``workers`` threads at once (:mod:`srbench.evaluate.workers`: default the CPU cores, at most 4;
  1 on a GPU), each with one torch intra-op thread. Each group is computed by the same code whatever the number
  of workers, so no value depends on it. Stage timings (:mod:`srbench.evaluate.timing`) are then thread-seconds:
  they add up to more than the elapsed time.

Every group of results is written to the output CSV atomically as soon as it is finished; a re-run with the
same output skips groups already complete (keyed by method provenance, dataset checksum, scale and protocol):
:mod:`srbench.evaluate.plan` decides what is reused and what is computed, :mod:`srbench.evaluate.jobs` collects
and writes the rows in order.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from srbench.evaluate.request import EvalRequest, ProgressFn, no_progress
from srbench.evaluate.workers import default_workers

if TYPE_CHECKING:
    import torch


@dataclass
class EvalResult:
    """Per-image rows of this run (reused and new), the stage timings and how many groups were reused."""

    rows: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    reused_groups: int = 0
    computed_groups: int = 0


def evaluate(request: EvalRequest, *, progress: ProgressFn = no_progress) -> EvalResult:
    """Score every method of ``request`` on every dataset at every scale; returns one row per image.

    Args:
        request: what to score, how, and where the rows go (see :class:`EvalRequest`'s fields).
        progress: factory ``(description, total) -> advance(n)`` for progress display, called once per computed
            (dataset, scale, method) group; ``advance`` may be called from worker threads.

    Groups already complete in ``request.output`` or ``request.store`` are reused; every computed group is
    written to both as soon as it is finished. On Ctrl-C, the finished groups are written and
    ``KeyboardInterrupt`` propagates.
    """
    # SR folders scored with PSNR/SSIM on the CPU take the lean path (numpy + the compiled kernels, the same rows
    # bit for bit: tests/evaluate/test_lean.py); anything it does not cover falls back to the general path. The
    # lean path imports no torch (tests/evaluate/test_lean_imports.py): torch is imported below, only when the
    # general path runs (a device given as the name "cpu" is known to be the CPU without it)
    from srbench.evaluate import lean

    r = request
    device_type = _device_type(r.device)
    if lean.applies(r.methods, r.metrics, r.protocol, device_type, r.lr_dir, r.save_sr):
        workers = default_workers(device_type) if r.workers is None else r.workers
        with contextlib.suppress(lean.Fallback):
            return EvalResult(
                *lean.evaluate_sr_dirs(
                    r.datasets, r.methods, r.scales, r.metrics, r.protocol, r.output, progress, r.store, workers
                )
            )
    import torch

    dev = torch.device(request.device)
    previous = torch.get_num_threads()
    if request.threads is not None and dev.type == "cpu":
        torch.set_num_threads(request.threads)
    try:
        workers = default_workers(dev) if request.workers is None else request.workers
        return _evaluate(request, dev, workers, progress)
    finally:
        torch.set_num_threads(previous)


def _device_type(device: torch.device | str) -> str:
    """``torch.device(device).type``; the name ``"cpu"`` without importing torch."""
    if isinstance(device, str) and device == "cpu":
        return "cpu"
    import torch

    return torch.device(device).type


def _evaluate(request: EvalRequest, dev: torch.device, workers: int, progress: ProgressFn) -> EvalResult:
    from concurrent.futures import ThreadPoolExecutor

    from srbench.evaluate.jobs import run_jobs
    from srbench.evaluate.plan import Run
    from srbench.evaluate.timing import Timer
    from srbench.metrics import METRICS
    from srbench.results.table import ResultTable

    specs = [METRICS.get(m) for m in request.metrics]
    timer = Timer()
    table = ResultTable(request.output)
    # every job's groups go to one pool as soon as the job is planned, so no worker waits at the end of a dataset
    # for the others to finish theirs; results are still collected, and written, job by job in order
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="srbench-eval") if workers > 1 else None
    run = Run(request, specs, dev, workers, progress, timer, table, pool)
    try:
        frames, reused, computed = run_jobs(run)
    except KeyboardInterrupt:
        # the finished groups are written (run_jobs); running workers stop at their next stage, and nobody waits
        timer.stop.set()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown(wait=True)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return EvalResult(df, dict(timer.seconds), reused, computed)
