"""``evaluate``: score methods on datasets at scales under one protocol, reusing finished results.

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

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import torch

from srbench.data.datasets import Dataset
from srbench.errors import ConfigError
from srbench.evaluate.jobs import run_jobs
from srbench.evaluate.plan import ProgressFn, Run, no_progress
from srbench.evaluate.results import ResultTable
from srbench.evaluate.timing import Timer
from srbench.evaluate.workers import default_workers
from srbench.methods.base import Method
from srbench.metrics import METRICS
from srbench.protocol.record import Protocol

if TYPE_CHECKING:
    from srbench.store import ResultStore

SCALES = (2, 3, 4, 8)
DEFAULT_METRICS = ("psnr", "ssim", "fsim", "vif")


@dataclass
class EvalResult:
    """Per-image rows of this run (reused and new), the stage timings and how many groups were reused."""

    rows: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    reused_groups: int = 0
    computed_groups: int = 0


def check_scale(scale: int) -> None:
    if scale not in SCALES:
        raise ConfigError(f"scale {scale} is not supported; use one of {', '.join(map(str, SCALES))}")


def evaluate(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int] = (4,),
    metrics: Sequence[str] = DEFAULT_METRICS,
    protocol: Protocol | None = None,
    device: torch.device | str = "cpu",
    output: str | Path | None = None,
    lr_dir: str | None = None,
    progress: ProgressFn = no_progress,
    batch: int = 8,
    threads: int | None = 1,
    store: ResultStore | None = None,
    workers: int | None = None,
    save_sr: str | Path | None = None,
) -> EvalResult:
    """Score every method on every dataset at every scale; returns one row per image.

    Args:
        datasets: from :func:`srbench.data.datasets.resolve_dataset`.
        methods: from :func:`srbench.methods.resolve_method`.
        scales: any of 2, 3, 4, 8.
        metrics: registered metric names.
        protocol: the protocol record; default ``standard``.
        device: ``torch.device`` or string; use :func:`srbench.device.resolve_device` for ``auto``.
        output: CSV file; finished groups are written atomically and reused on the next run.
        store: a :class:`srbench.store.ResultStore`; finished groups are added to it (atomically, deduplicated
            by key) and groups already stored are reused.
        lr_dir: folder of given LR images (``{dataset}`` and ``{scale}`` are substituted); the protocol's
            degradation becomes ``given``.
        progress: factory ``(description, total) -> advance(n)`` for progress display.
        batch: images per method call.
        threads: torch intra-op threads while evaluating on the CPU (restored afterwards); ``None`` keeps torch's
            setting. The default is 1 because metrics and resizing run image by image on tensors of ~0.15 MP,
            where intra-op threading gains little and, on a busy 2-core machine, was measured to cost up to 2x
            (``benchmarks/bench_eval.py`` with ``OMP_NUM_THREADS=1`` vs default; timings were noisy).
        workers: threads working on different image groups at once (method stage and metrics); ``None``:
            :func:`default_workers` (the CPU cores, at most 4, on the CPU; 1 on a GPU). No value depends on it.
        save_sr: folder that keeps the scored SR images as 8-bit PNG, ``<save_sr>/<method>/<dataset>/x<scale>/``
            (:mod:`srbench.evaluate.save_sr`); a group is reused from the output or store only if its folder is
            complete.
    """
    dev = torch.device(device)
    previous = torch.get_num_threads()
    if threads is not None and dev.type == "cpu":
        torch.set_num_threads(threads)
    try:
        n_workers = default_workers(dev) if workers is None else max(1, workers)
        return _evaluate(
            datasets, methods, scales, metrics, protocol, dev, output, lr_dir, progress, batch, store, n_workers,
            None if save_sr is None else Path(save_sr),
        )  # fmt: skip
    finally:
        torch.set_num_threads(previous)


def _evaluate(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int],
    metrics: Sequence[str],
    protocol: Protocol | None,
    dev: torch.device,
    output: str | Path | None,
    lr_dir: str | None,
    progress: ProgressFn,
    batch: int,
    store: ResultStore | None = None,
    workers: int = 1,
    save_sr: Path | None = None,
) -> EvalResult:
    protocol = protocol or Protocol()
    specs = [METRICS.get(m) for m in metrics]
    for s in scales:
        check_scale(s)
    timer = Timer()
    table = ResultTable(output)
    # every job's groups go to one pool as soon as the job is planned, so no worker waits at the end of a dataset
    # for the others to finish theirs; results are still collected, and written, job by job in order
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="srbench-eval") if workers > 1 else None
    run = Run(
        datasets, methods, scales, metrics, protocol, specs, dev, lr_dir, save_sr, batch, workers, store, progress,
        timer, table, pool,
    )  # fmt: skip
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
