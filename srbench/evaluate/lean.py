"""The lean path of ``evaluate``: folders of SR images scored with numpy and the compiled kernels only.

The everyday leaderboard run, ``srbench eval --sr-dir DIR --metric psnr --metric ssim``, reads two PNG files per
image, converts both to luminance and computes two numbers. The general path does that through torch tensors,
method batches and metric batches; this one does it per image on numpy arrays, with the same compiled kernels
(:mod:`srbench.kernels.pointwise_cpu`, :mod:`srbench.kernels.ssim_cpu`) and the same scalar steps
(:mod:`srbench.kernels.scores`), so every value is the same bits, and writes the same rows: every provenance,
protocol and ``metric_settings`` column (pinned by tests/evaluate/test_lean.py, which runs both paths on the same
files and compares the CSV rows). This module imports no torch: its cost is the scoring itself.

It applies (:func:`applies`) when every method is an SR folder of RGB images (:class:`SrDirMethod`), every metric is
one of :data:`LEAN_METRICS`, the device is the CPU, the compiled kernels are enabled, and the protocol neither
histogram-matches nor leaves the SR unrounded, with no ``--lr-dir`` and no ``--save-sr``. Anything unusual met while
scoring (an SR file whose channels differ from its HR image, a size mismatch, an image too small for a metric, an
HR size the scale does not divide) raises :class:`Fallback` before that job's rows are written, and ``evaluate``
runs the general path, which handles it or reports it in its own words. ``SRBENCH_LEAN=0`` turns this path off.

Like the general path, the HR and SR images are read on ``workers`` threads (PIL's decoder and the kernels release
the GIL), every image is scored on its own (no value depends on the workers), and each (dataset, scale, method)
job is written to the output CSV and the store as soon as it and every job before it are finished. No LR image is
made (an SR folder does not read one) and the HR image is not degraded.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from srbench.evaluate.decoded import DecodedImages
from srbench.results.table import GroupKey, ResultTable

if TYPE_CHECKING:
    import pandas as pd

    from srbench.data.datasets import Dataset, ImageEntry
    from srbench.methods.base import Method
    from srbench.methods.srdir import SrDirMethod
    from srbench.protocol.record import Protocol
    from srbench.results.store import ResultStore

ENV = "SRBENCH_LEAN"
LEAN_METRICS = frozenset({"psnr", "ssim", "psnr-rgb"})
"""Metrics this path computes (exactly as :mod:`srbench.metrics.psnr` and :mod:`srbench.metrics.ssim` do on the CPU)."""

SCALES = (2, 3, 4, 8)
"""``srbench.evaluate.request.SCALES``: other scales go to the general path, which refuses them."""
Y_COEFFS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0
"""MATLAB ``rgb2ycbcr``'s luminance row (:mod:`srbench.protocol.colour`; equal, pinned by the tests)."""


class Fallback(Exception):
    """The run meets something only the general path handles (or reports); nothing of the job was written."""


def enabled() -> bool:
    """``$SRBENCH_LEAN`` is not ``0`` / ``off`` / ``false``, and the compiled kernels are enabled."""
    from srbench import kernels

    if os.environ.get(ENV, "1").strip().lower() in ("0", "off", "false", "no"):
        return False
    return kernels.enabled()


def applies(
    methods: Sequence[Method],
    metrics: Sequence[str],
    protocol: Protocol | None,
    device_type: str,
    lr_dir: str | None,
    save_sr: object,
) -> bool:
    """Whether this run can take the lean path (see the module docstring)."""
    from srbench.methods.srdir import SrDirMethod

    if device_type != "cpu" or lr_dir is not None or save_sr is not None or not methods or not metrics:
        return False
    if any(type(m) is not SrDirMethod or m.space != "rgb" for m in methods):
        return False
    if any(m.lower() not in LEAN_METRICS for m in metrics):
        return False
    if protocol is not None and (protocol.histmatch != "none" or not protocol.quantize_sr):
        return False
    return enabled()


# --- one image ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """What the per-image scoring needs, fixed for a run."""

    metrics: tuple[str, ...]
    rounding: bool
    replicate_gray: bool
    modcrop: bool
    min_sizes: dict[str, int]
    ssim_taps: np.ndarray
    ssim_c1: float
    ssim_c2: float
    psnr_peak: float


class _Stages:
    """Thread-seconds per stage (the general path's stage names: ``srbench eval --profile``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t0
            with self._lock:
                self.seconds[stage] += elapsed


def _luminance(image: np.ndarray, settings: _Settings) -> np.ndarray:
    """Protocol Y ``(H, W)`` float64 of an ``(H, W, 3)`` or ``(H, W)`` uint8 image: what
    :func:`srbench.evaluate.pipeline.y_of` computes (through the same kernel for colour)."""
    from srbench.kernels.pointwise_cpu import luminance

    t = tuple((1 / 255) * c for c in Y_COEFFS)  # MATLAB: scaleFactor.uint8.T * origT (srbench.protocol.colour)
    if image.ndim == 3:
        rgb = image.transpose(2, 0, 1)[None]  # copied to (1, 3, H, W) by the kernel's wrapper, as the general path
    elif settings.replicate_gray:
        rgb = np.broadcast_to(image[None, None], (1, 3, *image.shape))
    else:
        return image.astype(np.float64)
    return luminance(rgb, t, Y_OFFSET, settings.rounding)[0, 0]  # type: ignore[arg-type]


def _score_one(
    entry: ImageEntry, method: SrDirMethod, scale: int, border: int, decoded: DecodedImages, settings: _Settings,
    stages: _Stages,
) -> tuple[tuple[int, int], bool, dict[str, float]]:  # fmt: skip
    """``((H, W), gray, {metric: value})`` of one image; raises :class:`Fallback` for anything unusual."""
    from srbench.data.imageio import read_image
    from srbench.kernels.pointwise_cpu import squared_error_sums
    from srbench.kernels.scores import psnr_db
    from srbench.kernels.ssim_cpu import ssim_mean

    hr = decoded.get(entry)
    if settings.modcrop:
        hr = hr[: hr.shape[0] - hr.shape[0] % scale, : hr.shape[1] - hr.shape[1] % scale]
    h, w = hr.shape[:2]
    if hr.dtype != np.uint8 or h % scale or w % scale or h < 2 * scale or w < 2 * scale:
        raise Fallback(f"{entry.id}: HR is {hr.dtype} {w}x{h}")
    rec = entry.record
    if rec is not None:  # the general path plans by the catalog's size and refuses a file that differs from it
        rh, rw = (
            (rec.height - rec.height % scale, rec.width - rec.width % scale)
            if settings.modcrop
            else (rec.height, rec.width)
        )
        if (rh, rw) != (h, w) or (rec.channels == 1) != (hr.ndim == 2):
            raise Fallback(f"{entry.id}: decoded size differs from the catalog")
    path = method.files.get(entry.id)
    if path is None:
        raise Fallback(f"{entry.id}: no SR file")
    with stages("method"):
        sr = read_image(path)
    if sr.shape != hr.shape:  # size or channel mismatch: the general path's rules and messages
        raise Fallback(f"{entry.id}: SR {sr.shape} vs HR {hr.shape}")
    sh, sw = h - 2 * border, w - 2 * border
    if any(min(sh, sw) < settings.min_sizes[m] for m in settings.metrics):
        raise Fallback(f"{entry.id}: {sw}x{sh} after shave is too small")
    cut = (slice(border, h - border), slice(border, w - border)) if border else (slice(None), slice(None))
    values: dict[str, float] = {}
    if any(m != "psnr-rgb" for m in settings.metrics):
        with stages("to_y"):
            y_gt = _luminance(hr, settings)[cut]
            y_sr = _luminance(sr, settings)[cut]
        if "psnr" in settings.metrics:
            with stages("psnr"):
                sums = squared_error_sums(y_sr[None, None], y_gt[None, None])
                values["psnr"] = psnr_db([sums[0] / (sh * sw)], settings.psnr_peak)[0]
        if "ssim" in settings.metrics:
            with stages("ssim"):
                x, y = np.ascontiguousarray(y_sr), np.ascontiguousarray(y_gt)
                values["ssim"] = ssim_mean(x, y, settings.ssim_taps, settings.ssim_c1, settings.ssim_c2)
    if "psnr-rgb" in settings.metrics:
        with stages("psnr-rgb"):
            a, b = sr[cut], hr[cut]
            a4 = a.transpose(2, 0, 1)[None] if a.ndim == 3 else a[None, None]
            b4 = b.transpose(2, 0, 1)[None] if b.ndim == 3 else b[None, None]
            sums = squared_error_sums(a4, b4)
            values["psnr-rgb"] = psnr_db([sums[0] / (a4.shape[1] * sh * sw)], settings.psnr_peak)[0]
    return (h, w), hr.ndim == 2, values


# --- the run ------------------------------------------------------------------------------------------------


@dataclass
class _Job:
    ds: Dataset
    scale: int
    method: SrDirMethod
    key: GroupKey
    futures: list[Future[tuple[tuple[int, int], bool, dict[str, float]]]] = field(default_factory=list)


def _settings(metrics: Sequence[str], protocol: Protocol) -> _Settings:
    from srbench.kernels.scores import gaussian_taps
    from srbench.metrics import METRICS
    from srbench.metrics.psnr import PEAK
    from srbench.metrics.ssim import K1, K2, SIGMA, WINDOW, L

    return _Settings(
        metrics=tuple(METRICS.canonical(m) for m in metrics),
        rounding=protocol.y_rounding == "round",
        replicate_gray=protocol.grayscale == "replicate",
        modcrop=bool(protocol.modcrop),
        min_sizes={METRICS.canonical(m): METRICS.get(m).min_size for m in metrics},
        ssim_taps=np.array(gaussian_taps(WINDOW, SIGMA)),
        ssim_c1=(K1 * L) ** 2,
        ssim_c2=(K2 * L) ** 2,
        psnr_peak=PEAK,
    )


def evaluate_sr_dirs(
    datasets: Sequence[Dataset],
    methods: Sequence[Method],
    scales: Sequence[int],
    metrics: Sequence[str],
    protocol: Protocol | None,
    output: Any,
    progress: Callable[[str, int], Callable[[int], None]],
    store: ResultStore | None,
    workers: int,
) -> tuple[pd.DataFrame, dict[str, float], int, int]:
    """``evaluate``'s rows, timings, reused and computed group counts for a run :func:`applies` accepted.

    Raises :class:`Fallback` (before writing the job concerned) when the general path must take over.
    """
    import pandas as pd

    from srbench.evaluate.collect import collect_in_order, write_group
    from srbench.metrics import METRICS
    from srbench.protocol.record import Protocol

    protocol = protocol or Protocol()
    if protocol.histmatch != "none" or not protocol.quantize_sr or any(s not in SCALES for s in scales):
        raise Fallback("protocol or scale")  # the general path says what is wrong
    specs = [METRICS.get(m) for m in metrics]
    settings = _settings(metrics, protocol)
    stages = _Stages()
    table = ResultTable(output)
    slots: list[pd.DataFrame | _Job] = []
    reused = 0
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="srbench-lean")
    try:
        for ds in datasets:
            decoded = DecodedImages(stages)
            for scale in scales:
                for method in methods:
                    method.check_scale(scale)
                    key = GroupKey(method.name, method.key(), ds.name, ds.checksum, scale, protocol.key())
                    ids = [img.id for img in ds.images]
                    cached = table.lookup(key, ids, metrics)
                    if cached is None and store is not None:
                        cached = store.lookup(key, ids, metrics)
                        if cached is not None and table.path is not None:
                            table.replace(key, cached)
                    elif cached is not None and store is not None and store.lookup(key, ids, metrics) is None:
                        store.replace(key, cached)
                    if cached is not None:
                        slots.append(cached)
                        reused += 1
                        continue
                    job = _Job(ds, scale, method, key)  # type: ignore[arg-type]
                    advance = progress(f"{method.name} {ds.title} x{scale}", len(ds.images))
                    border = protocol.shave_for(scale)
                    for entry in ds.images:
                        f = pool.submit(_score_one, entry, method, scale, border, decoded, settings, stages)  # type: ignore[arg-type]
                        f.add_done_callback(_advance_when_done(advance))
                        job.futures.append(f)
                    slots.append(job)

        def finish(job: _Job) -> pd.DataFrame:
            rows = _rows(job, [f.result() for f in job.futures], protocol, specs)
            write_group(job.key, rows, table, store)
            return rows

        frames, _, computed = collect_in_order(slots, finish)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return df, dict(stages.seconds), reused, computed


def _advance_when_done(advance: Callable[[int], None]) -> Callable[[Future[Any]], None]:
    def done(f: Future[Any]) -> None:
        if not f.cancelled() and f.exception() is None:
            advance(1)

    return done


def _rows(
    job: _Job, results: list[tuple[tuple[int, int], bool, dict[str, float]]], protocol: Protocol, specs: Sequence[Any]
) -> pd.DataFrame:
    """The general path's rows (``srbench.evaluate.rows.result_rows``), column for column."""
    import pandas as pd

    import srbench
    from srbench.protocol.record import protocol_label

    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    metric_settings = json.dumps({m.name: dict(m.settings) for m in specs}, sort_keys=True)
    provenance = json.dumps(job.method.provenance(), sort_keys=True)
    records = []
    for entry, ((h, w), gray, scores) in zip(job.ds.images, results, strict=True):
        rec: dict[str, object] = {
            "dataset": job.ds.name,
            "scale": job.scale,
            "method": job.method.name,
            "image": entry.id,
        }
        for m in ("psnr", "ssim", "fsim", "vif"):
            rec[m] = scores.get(m, float("nan"))
        for spec in specs:
            rec[spec.name] = scores[spec.name]
        rec.update(
            height=h,
            width=w,
            gray=gray,
            method_space=job.method.space,
            method_key=job.key.method_key,
            method_provenance=provenance,
            dataset_checksum=job.key.dataset_checksum,
            protocol_name=protocol_label(protocol),
            protocol_key=job.key.protocol_key,
            protocol=protocol.to_json(),
            metric_settings=metric_settings,
            device="cpu",
            srbench_version=srbench.__version__,
            created=now,
        )
        records.append(rec)
    return pd.DataFrame.from_records(records)
