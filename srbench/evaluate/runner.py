"""``evaluate``: score methods on datasets at scales under one protocol, reusing finished results.

Work is batched without changing any value:

* degradation and methods run on groups of images of one shape (the LR geometry is then shared);
* metrics run on groups of one shape; every metric scores each image of a batch on its own, so a value never
  depends on the batch it was in (pinned by tests: bit-identical alone and batched). Portrait images are not
  transposed to join the landscape batch: FSIM is transposition-invariant only up to ~2e-6 when a side is even,
  and the gain would be small, since FSIM's filter bank is cached per shape anyway;
* groups run on ``workers`` threads at once (default: the CPU cores, at most 4; 1 on a GPU), each with one torch
  intra-op thread; torch, scipy's FFT and numpy release the GIL in their kernels. Each group is computed by the
  same code whatever the number of workers, so no value depends on it (pinned by tests/evaluate/test_workers.py).
  Stage timings are then thread-seconds: they add up to more than the elapsed time.

Every group of results is written to the output CSV atomically as soon as it is finished; a re-run with the
same output skips groups already complete (keyed by method provenance, dataset checksum, scale and protocol).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import torch
from torch import Tensor

import srbench
from srbench.data.datasets import Dataset
from srbench.data.protocol_files import FolderManifest, read_manifest
from srbench.errors import ConfigError, DataError
from srbench.evaluate.pipeline import (
    HRImage,
    given_input,
    hr_stack,
    method_input,
    prepare_hr,
    sr_to_rgb,
    sr_to_y,
    y_of,
)
from srbench.evaluate.results import GroupKey, ResultTable
from srbench.evaluate.save_sr import SrFolder
from srbench.evaluate.sources import AnyHR, DecodedImages, materialize, plan_images
from srbench.methods.base import Method, Space
from srbench.methods.srdir import SrDirMethod
from srbench.metrics import METRICS, MetricSpec
from srbench.protocol.crops import shave
from srbench.protocol.record import Protocol, protocol_label

if TYPE_CHECKING:
    from srbench.store import ResultStore

SCALES = (2, 3, 4, 8)
MAX_WORKERS = 4
"""Most worker threads :func:`default_workers` picks on the CPU."""

_T = TypeVar("_T")
_R = TypeVar("_R")
DEFAULT_METRICS = ("psnr", "ssim", "fsim", "vif")


class Interrupted(Exception):
    """Raised in a worker thread at its next stage once the run was interrupted (Ctrl-C in the main thread)."""


class Timer:
    """Accumulates wall time per named stage; every stage is also where a worker notices an interrupt.

    Every piece of work of a run (decoding, degradation, the method, each metric) enters a stage, so once
    :attr:`stop` is set (by :func:`evaluate` on Ctrl-C) each worker thread stops at its next stage with
    :class:`Interrupted` instead of finishing its whole group of images.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()
        self.stop = threading.Event()

    @contextmanager
    def __call__(self, stage: str, device: torch.device | None = None) -> Iterator[None]:
        if self.stop.is_set():
            raise Interrupted(stage)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            if device is not None and device.type == "cuda":
                torch.cuda.synchronize(device)
            elapsed = time.perf_counter() - t0
            with self._lock:  # stages run in several worker threads: the sums are thread-seconds
                self.seconds[stage] += elapsed


@dataclass
class EvalResult:
    """Per-image rows of this run (reused and new), the stage timings and how many groups were reused."""

    rows: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    reused_groups: int = 0
    computed_groups: int = 0


ProgressFn = Callable[[str, int], Callable[[int], None]]


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def load_images(ds: Dataset, workers: int = 4, decoded: DecodedImages | None = None) -> list[tuple[str, np.ndarray]]:
    """Decode every HR image of ``ds`` now (in a small thread pool: the PNG decoders release the GIL)."""
    decoded = decoded or DecodedImages(Timer())
    arrays = map_in_threads(decoded.get, ds.images, workers)
    return list(zip([img.id for img in ds.images], arrays, strict=True))


def default_workers(device: torch.device) -> int:
    """Worker threads over image groups: the available CPU cores (at most ``MAX_WORKERS``) on the CPU, 1 on a GPU.

    Each worker runs torch single-threaded (``evaluate(threads=1)``); torch, scipy's FFT and numpy release the GIL
    inside their kernels, so groups of images are scored on several cores at once.
    """
    if device.type != "cpu":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS / Windows
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def map_in_threads(fn: Callable[[_T], _R], items: Iterable[_T], workers: int) -> Iterator[_R]:
    """``map(fn, items)`` in order, on ``workers`` threads when ``workers > 1``; pending work is cancelled on error.

    Results do not depend on ``workers``: each item is computed on its own by the same code.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="srbench-eval")
    try:
        futures = [pool.submit(fn, it) for it in items]
        for f in futures:
            yield f.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def check_scale(scale: int) -> None:
    if scale not in SCALES:
        raise ConfigError(f"scale {scale} is not supported; use one of {', '.join(map(str, SCALES))}")


def _groups_by_shape(items: Sequence[AnyHR], batch: int) -> list[list[AnyHR]]:
    by: dict[tuple[int, int], list[AnyHR]] = defaultdict(list)
    for it in items:
        by[it.size].append(it)
    out = []
    for group in by.values():
        for i in range(0, len(group), batch):
            out.append(group[i : i + batch])
    return out


def score_pairs(
    pairs: Sequence[tuple[str, Tensor, Tensor]],
    metrics: Sequence[MetricSpec],
    device: torch.device,
    timer: Timer,
    batch: int = 16,
    workers: int = 1,
) -> dict[str, dict[str, float]]:
    """Score ``(image_id, y_sr, y_gt)`` pairs (each ``(1, H, W)``) with every metric, batched by shape.

    Chunks of at most ``batch`` images of one shape are scored on ``workers`` threads (chunks of at most 4 when
    ``workers > 1``, for balance); every metric scores each image on its own, so no value depends on either.
    """
    by: dict[tuple[int, ...], list[tuple[str, Tensor, Tensor]]] = defaultdict(list)  # (C, H, W): stackable
    for image_id, s, g in pairs:
        by[tuple(int(d) for d in s.shape)].append((image_id, s, g))
    if workers > 1:
        batch = min(batch, 4)
    chunks: list[list[tuple[str, Tensor, Tensor]]] = []
    for shape, group in by.items():
        h, w = shape[-2], shape[-1]
        for m in metrics:
            if min(h, w) < m.min_size:
                raise DataError(
                    f"image {group[0][0]} is {w}x{h} after shave; {m.name} needs at least {m.min_size}x{m.min_size}; "
                    f"drop --metric {m.name} or use larger images"
                )
        chunks += [group[i : i + batch] for i in range(0, len(group), batch)]

    def score_chunk(chunk: list[tuple[str, Tensor, Tensor]]) -> dict[str, list[float]]:
        sr = torch.stack([c[1] for c in chunk]).to(device)
        gt = torch.stack([c[2] for c in chunk]).to(device)
        out = {}
        for m in metrics:
            with timer(m.name, device):
                out[m.name] = m.fn(sr, gt).to("cpu", torch.float64).tolist()
        return out

    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for chunk, values in zip(chunks, map_in_threads(score_chunk, chunks, workers), strict=True):
        for name, vals in values.items():
            for (image_id, _, _), v in zip(chunk, vals, strict=True):
                scores[image_id][name] = float(v)
    return scores


def lr_source(lr_dir: str) -> str:
    """The ``lr_source`` a ``--lr-dir`` template records: the absolute template, ``{dataset}``/``{scale}`` kept."""
    return str(Path(lr_dir).expanduser().absolute())


def _lr_dir_for(lr_dir: str | None, dataset: Dataset, scale: int) -> Path | None:
    if lr_dir is None:
        return None
    p = Path(lr_dir.replace("{dataset}", dataset.name).replace("{scale}", str(scale))).expanduser()
    if not p.is_dir():
        raise DataError(f"--lr-dir {p}: not a directory; pass the folder of LR images for {dataset.name} x{scale}")
    return p


def _find_lr_file(folder: Path, image_id: str, manifest: FolderManifest | None = None) -> Path:
    if manifest is not None and image_id in manifest.files:  # written by srbench: its manifest names the file
        return folder / manifest.files[image_id]
    for cand in sorted(folder.glob(f"{image_id}.*")):
        if cand.is_file():
            return cand
    raise DataError(f"{folder}: no LR file for image {image_id}; name LR files after the HR images")


def _given_lr(
    folder: Path, group: Sequence[HRImage], space: Space, protocol: Protocol, scale: int, device: torch.device
) -> Tensor:
    """The given LR files of ``group`` in ``space``, one batch on ``device`` (``srbench degrade`` folders: as their
    manifest says, :mod:`srbench.data.protocol_files`)."""
    manifest = read_manifest(folder)
    file_space: Space = "y" if manifest is not None and manifest.space == "y" else "rgb"
    return torch.cat(
        [given_input(_find_lr_file(folder, g.id, manifest), g, space, protocol, scale, file_space) for g in group]
    ).to(device)


def run_method(
    method: Method,
    images: Sequence[AnyHR],
    scale: int,
    protocol: Protocol,
    device: torch.device,
    timer: Timer,
    lr_folder: Path | None = None,
    batch: int = 8,
    advance: Callable[[int], None] = lambda n: None,
    lr_cache: dict[tuple[str, tuple[str, ...]], Tensor] | None = None,
    workers: int = 1,
    rgb: dict[str, tuple[Tensor, Tensor]] | None = None,
    save: SrFolder | None = None,
) -> list[tuple[str, Tensor, Tensor]]:
    """Run ``method`` on ``images`` and return ``(image_id, y_sr, y_gt)`` per image, shaved, on the CPU.

    ``lr_cache`` (keyed by colour space and image ids) lets several methods share one degradation. Groups of
    one shape run on ``workers`` threads (each group on its own, so no value depends on it). When ``rgb`` is a
    dict, it also receives ``image_id -> (rgb_sr, rgb_gt)`` for RGB metrics: ``(C, H, W)`` float32 on [0, 255],
    shaved alike (:func:`srbench.evaluate.pipeline.sr_to_rgb`; C = 1 for grayscale images). ``save`` keeps the
    scored SR images (:mod:`srbench.evaluate.save_sr`).
    """
    lr_cache = {} if lr_cache is None else lr_cache
    border = protocol.shave_for(scale)

    def one_group(pending: list[AnyHR]) -> list[tuple[str, Tensor, Tensor]]:
        group = [materialize(g) for g in pending]  # decoded here, on this worker, if not yet
        gray = group[0].gray
        if any(g.gray != gray for g in group):  # split mixed gray/colour groups
            grays, colours = [g for g in group if g.gray], [g for g in group if not g.gray]
            return run_method(
                method, grays, scale, protocol, device, timer, lr_folder, 1, rgb=rgb, save=save
            ) + run_method(method, colours, scale, protocol, device, timer, lr_folder, batch, rgb=rgb, save=save)
        hr = hr_stack(group, device)
        ids = [g.id for g in group]
        with timer("to_y", device):
            y_gt = y_of(hr, gray, protocol)
        with timer("degrade", device):
            if not method.consumes_lr and protocol.histmatch == "none":
                # nothing reads it (histogram matching would): an empty LR batch of the right size and device
                lr = torch.empty((len(group), 1 if gray else 3, 0, 0), dtype=torch.float64, device=device)
            elif lr_folder is not None:
                lr = _given_lr(lr_folder, group, method.space, protocol, scale, device)
            else:
                lr = method_input(hr, gray, method.space, protocol, scale, y_gt)
        with timer("method", device), torch.no_grad():
            sr = method.upscale(lr, scale, ids)
        expected = (hr.shape[-2], hr.shape[-1])
        if tuple(sr.shape[-2:]) != expected or sr.shape[0] != len(group):
            raise DataError(
                f"method {method.name} returned {tuple(sr.shape)} for {ids[0]}, expected {len(group)} images of "
                f"{expected[1]}x{expected[0]}; check the method's scale"
            )
        # the sum is finite unless a value is NaN/Inf (or the sum overflows, then the exact check below passes):
        # one reduction instead of a boolean map of the whole batch
        if not torch.isfinite(sr.sum()) and not torch.isfinite(sr).all():
            bad = [ids[i] for i in range(len(ids)) if not torch.isfinite(sr[i]).all()]
            raise DataError(
                f"method {method.name} produced NaN/Inf for image {bad[0]}; check the model and its weights"
            )
        with timer("to_y", device):
            y_sr = sr_to_y(sr, lr, gray, method.space, protocol)
        if save is not None:
            with timer("save_sr", device):
                save.save(ids, sr, y_sr, lr)
        y_sr, y_gt = shave(y_sr, border).cpu(), shave(y_gt, border).cpu()
        if rgb is not None:
            with timer("to_rgb", device):
                lr_rgb = lr
                if method.space == "y" and not gray:
                    if lr_folder is not None:
                        lr_rgb = _given_lr(lr_folder, group, "rgb", protocol, scale, device)
                    else:
                        lr_rgb = method_input(hr, gray, "rgb", protocol, scale)
                rgb_sr = shave(sr_to_rgb(sr, lr_rgb, gray, method.space, protocol, scale), border)
                rgb_gt = shave(hr, border)
                for i, image_id in enumerate(ids):
                    rgb[image_id] = (rgb_sr[i].to("cpu", torch.float32), rgb_gt[i].to("cpu", torch.float32))
        return [(image_id, y_sr[i], y_gt[i]) for i, image_id in enumerate(ids)]

    out: list[tuple[str, Tensor, Tensor]] = []
    for scored in map_in_threads(one_group, _groups_by_shape(images, batch if method.batchable else 1), workers):
        out += scored
        advance(len(scored))
    return out


def group_scorer(
    method: Method,
    scale: int,
    protocol: Protocol,
    device: torch.device,
    timer: Timer,
    metrics: Sequence[MetricSpec],
    lr_folder: Path | None = None,
    batch: int = 8,
    save: SrFolder | None = None,
) -> Callable[[list[AnyHR]], dict[str, dict[str, float]]]:
    """The work on one group of images of one shape: :func:`run_method`, then :func:`score_pairs` on its output.

    Each group is scored while its luminance images are still in the cache, and only ``workers`` groups of them
    are in memory at once (fresh memory costs page faults on the CPU); the values are those of running the
    method on all images and scoring them in turn.
    """
    y_metrics = [m for m in metrics if m.space != "rgb"]
    rgb_metrics = [m for m in metrics if m.space == "rgb"]

    def one_group(group: list[AnyHR]) -> dict[str, dict[str, float]]:
        rgb: dict[str, tuple[Tensor, Tensor]] | None = {} if rgb_metrics else None
        pairs = run_method(method, group, scale, protocol, device, timer, lr_folder, batch, rgb=rgb, save=save)
        scores = score_pairs(pairs, y_metrics, device, timer, batch=len(pairs))
        if rgb:
            rgb_pairs = [(image_id, *rgb[image_id]) for image_id, _, _ in pairs]
            for image_id, values in score_pairs(rgb_pairs, rgb_metrics, device, timer, batch=len(pairs)).items():
                scores.setdefault(image_id, {}).update(values)
        return scores

    return one_group


class _Scoring:
    """The groups of one (dataset, scale, method) job, computed on a shared pool (or at once, without one)."""

    def __init__(
        self,
        pool: ThreadPoolExecutor | None,
        one_group: Callable[[list[AnyHR]], dict[str, dict[str, float]]],
        groups: list[list[AnyHR]],
        advance: Callable[[int], None],
    ) -> None:
        self._futures: list[Future[dict[str, dict[str, float]]]] = []
        self._done: dict[str, dict[str, float]] | None = None
        if pool is None:
            self._done = {}
            for group in groups:
                self._done.update(one_group(group))
                advance(len(group))
            return
        for group in groups:
            future = pool.submit(one_group, group)
            future.add_done_callback(self._advance_when_done(advance, len(group)))
            self._futures.append(future)

    @staticmethod
    def _advance_when_done(
        advance: Callable[[int], None], n: int
    ) -> Callable[[Future[dict[str, dict[str, float]]]], None]:
        def done(f: Future[dict[str, dict[str, float]]]) -> None:  # runs on the worker: rich progress is thread-safe
            if not f.cancelled() and f.exception() is None:
                advance(n)

        return done

    def finished(self) -> bool:
        """Whether every group is scored (without an error): the job's rows can be written now."""
        if self._done is not None:
            return True
        return all(f.done() and not f.cancelled() and f.exception() is None for f in self._futures)

    def result(self) -> dict[str, dict[str, float]]:
        if self._done is None:
            done: dict[str, dict[str, float]] = {}  # complete before it is kept (an interrupt may come meanwhile)
            for f in self._futures:
                done.update(f.result())
            self._done = done
        return self._done


def evaluate(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int] = (4,),
    metrics: Sequence[str] = DEFAULT_METRICS,
    protocol: Protocol | None = None,
    device: torch.device | str = "cpu",
    output: str | Path | None = None,
    lr_dir: str | None = None,
    progress: ProgressFn = _no_progress,
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
        # --- issue 12 hook: SR folders + PSNR/SSIM on the CPU take the lean path (srbench.evaluate.lean) ---
        from srbench.evaluate import lean

        if lean.applies(methods, metrics, protocol, dev.type, lr_dir, save_sr):
            with contextlib.suppress(lean.Fallback):
                return EvalResult(*lean.evaluate_sr_dirs(
                    datasets, methods, scales, metrics, protocol, output, progress, store, n_workers
                ))  # fmt: skip
        # --- end of the issue 12 hook ---
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
    try:
        frames, reused, computed = _run_jobs(
            datasets, methods, scales, metrics, protocol, specs, dev, lr_dir, progress, batch, store, workers,
            timer, table, pool, save_sr,
        )  # fmt: skip
    except KeyboardInterrupt:
        # the finished groups are written (_run_jobs); running workers stop at their next stage, and nobody waits
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


@dataclass
class _Job:
    ds: Dataset
    scale: int
    method: Method
    images: Sequence[AnyHR]
    protocol: Protocol
    key: GroupKey
    scoring: _Scoring
    saver: SrFolder | None = None


def _run_jobs(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int],
    metrics: Sequence[str],
    protocol: Protocol,
    specs: Sequence[MetricSpec],
    dev: torch.device,
    lr_dir: str | None,
    progress: ProgressFn,
    batch: int,
    store: ResultStore | None,
    workers: int,
    timer: Timer,
    table: ResultTable,
    pool: ThreadPoolExecutor | None,
    save_sr: Path | None = None,
) -> tuple[list[pd.DataFrame], int, int]:
    slots: list[pd.DataFrame | _Job] = []  # reused rows, or a job whose rows come when it finishes (in order)
    try:
        return _plan_and_collect(
            datasets, methods, scales, metrics, protocol, specs, dev, lr_dir, progress, batch, store, workers,
            timer, table, pool, slots, save_sr,
        )  # fmt: skip
    except KeyboardInterrupt:
        for slot in slots:  # keep every job that finished before Ctrl-C, in whatever order they finished
            if isinstance(slot, _Job) and slot.scoring.finished():
                rows = _job_rows(slot, specs, dev)
                table.replace(slot.key, rows)
                if store is not None:
                    store.replace(slot.key, rows)
        raise


def _plan_and_collect(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int],
    metrics: Sequence[str],
    protocol: Protocol,
    specs: Sequence[MetricSpec],
    dev: torch.device,
    lr_dir: str | None,
    progress: ProgressFn,
    batch: int,
    store: ResultStore | None,
    workers: int,
    timer: Timer,
    table: ResultTable,
    pool: ThreadPoolExecutor | None,
    slots: list[pd.DataFrame | _Job],
    save_sr: Path | None = None,
) -> tuple[list[pd.DataFrame], int, int]:
    reused = 0
    for ds in datasets:
        decoded = DecodedImages(timer)
        for scale in scales:
            lr_folder = _lr_dir_for(lr_dir, ds, scale)
            proto = protocol
            if lr_folder is not None:
                # one key for every dataset and scale of one --lr-dir: the folder template, made absolute
                proto = protocol.replace(degradation="given", lr_source=lr_source(lr_dir))
            images: Sequence[AnyHR] | None = None
            for method in methods:
                method.check_scale(scale)
                key = GroupKey(method.name, method.key(), ds.name, ds.checksum, scale, proto.key())
                ids = [img.id for img in ds.images]
                saver = None if save_sr is None else SrFolder(save_sr, method, ds.name, ds.checksum, scale, proto)
                wanted = saver is not None and not saver.complete(ids)  # SR images to save: compute the group
                cached = None if wanted else table.lookup(key, ids, metrics)
                if cached is None and store is not None and not wanted:
                    cached = store.lookup(key, ids, metrics)
                    if cached is not None and table.path is not None:
                        table.replace(key, cached)
                elif cached is not None and store is not None and store.lookup(key, ids, metrics) is None:
                    store.replace(key, cached)
                if cached is not None:
                    slots.append(cached)
                    reused += 1
                    continue
                if images is None:
                    # grouped by the catalogued (or header) sizes; each worker decodes its own group's images
                    images = plan_images(ds, decoded, scale, proto, timer)
                    if images is None:  # sizes known only by decoding: decode all now
                        arrays = load_images(ds, max(2, workers), decoded)
                        with timer("prepare"):
                            images = [prepare_hr(i, a, scale, proto) for i, a in arrays]
                if isinstance(method, SrDirMethod):
                    method.check_files({img.id: img.size for img in images}, scale)
                advance = progress(f"{method.name} {ds.title} x{scale}", len(images))
                one_group = group_scorer(method, scale, proto, dev, timer, specs, lr_folder, batch, saver)
                groups = _groups_by_shape(images, batch if method.batchable else 1)
                scoring = _Scoring(pool, one_group, groups, advance)
                slots.append(_Job(ds, scale, method, images, proto, key, scoring, saver))
    frames: list[pd.DataFrame] = []
    computed = 0
    for i, slot in enumerate(slots):
        if isinstance(slot, pd.DataFrame):
            frames.append(slot)
            continue
        rows = _job_rows(slot, specs, dev)
        table.replace(slot.key, rows)
        if slot.saver is not None:
            slot.saver.finish()
        if store is not None:
            store.replace(slot.key, rows)
        frames.append(rows)
        computed += 1
        slots[i] = rows  # the job's images (and, with its dataset's last job, the decoded arrays) can be freed
    return frames, reused, computed


def _job_rows(job: _Job, specs: Sequence[MetricSpec], dev: torch.device) -> pd.DataFrame:
    return _rows(job.ds, job.scale, job.method, job.images, job.scoring.result(), job.protocol, specs, dev, job.key)


def _rows(
    ds: Dataset,
    scale: int,
    method: Method,
    images: Sequence[AnyHR],
    scores: dict[str, dict[str, float]],
    protocol: Protocol,
    specs: Sequence[MetricSpec],
    device: torch.device,
    key: GroupKey,
) -> pd.DataFrame:
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    metric_settings = json.dumps({m.name: dict(m.settings) for m in specs}, sort_keys=True)
    records = []
    for img in images:
        h, w = img.size
        rec: dict[str, object] = {"dataset": ds.name, "scale": scale, "method": method.name, "image": img.id}
        for m in ("psnr", "ssim", "fsim", "vif"):
            rec[m] = scores[img.id].get(m, float("nan"))
        for spec in specs:
            rec[spec.name] = scores[img.id][spec.name]
        rec.update(
            height=h,
            width=w,
            gray=img.gray,
            method_space=method.space,
            method_key=key.method_key,
            method_provenance=json.dumps(method.provenance(), sort_keys=True),
            dataset_checksum=key.dataset_checksum,
            protocol_name=protocol_label(protocol),
            protocol_key=key.protocol_key,
            protocol=protocol.to_json(),
            metric_settings=metric_settings,
            device=device.type,
            srbench_version=srbench.__version__,
            created=now,
        )
        records.append(rec)
    return pd.DataFrame.from_records(records)
