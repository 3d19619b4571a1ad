"""Planning an evaluation: every (dataset, scale, method) group is reused from earlier results or becomes a job.

A group is reused from the output CSV or the result store when its rows there cover every image and metric
(keyed by method provenance, dataset checksum, scale and protocol); otherwise its images are grouped by shape and
submitted to the shared worker pool at once, so no worker waits at the end of a dataset for the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from srbench.data.datasets import Dataset
from srbench.evaluate.grouping import groups_by_shape
from srbench.evaluate.lr_files import lr_dir_for, lr_files_sha256, lr_source
from srbench.evaluate.pipeline import prepare_hr
from srbench.evaluate.request import EvalRequest, ProgressFn
from srbench.evaluate.rows import result_rows
from srbench.evaluate.save_sr import SrFolder
from srbench.evaluate.scoring import GroupScoring, group_scorer
from srbench.evaluate.sources import AnyHR, DecodedImages, load_images, plan_images
from srbench.evaluate.timing import Timer
from srbench.methods.base import Method
from srbench.methods.srdir import SrDirMethod
from srbench.metrics import MetricSpec
from srbench.protocol.record import Protocol
from srbench.results.table import GroupKey, ResultTable


@dataclass(frozen=True)
class Run:
    """What every group of one evaluation shares: the request, what :func:`srbench.evaluate.evaluate` made of it
    (metric specs, device, worker count), the progress display, and the timer, result table and worker pool."""

    request: EvalRequest
    specs: Sequence[MetricSpec]
    device: torch.device
    workers: int
    progress: ProgressFn
    timer: Timer
    table: ResultTable
    pool: ThreadPoolExecutor | None


@dataclass
class Job:
    """One (dataset, scale, method) group being computed; its rows can be made once :attr:`scoring` is finished."""

    ds: Dataset
    scale: int
    method: Method
    images: Sequence[AnyHR]
    protocol: Protocol
    key: GroupKey
    scoring: GroupScoring
    saver: SrFolder | None = None

    def rows(self, specs: Sequence[MetricSpec], device: torch.device) -> pd.DataFrame:
        """The group's result rows (waits for its scoring)."""
        return result_rows(
            self.ds, self.scale, self.method, self.images, self.scoring.result(), self.protocol, specs, device,
            self.key,
        )  # fmt: skip


def plan_jobs(run: Run) -> Iterator[pd.DataFrame | Job]:
    """Every (dataset, scale, method) group in order: its reused rows, or a job whose work is submitted now."""
    request = run.request
    save_sr = None if request.save_sr is None else Path(request.save_sr)
    for ds in request.datasets:
        decoded = DecodedImages(run.timer)
        for scale in request.scales:
            lr_folder = lr_dir_for(request.lr_dir, ds, scale)
            proto = request.protocol
            if request.lr_dir is not None:
                # one key for every dataset and scale of one --lr-dir: the folder template, made absolute
                proto = proto.replace(degradation="given", lr_source=lr_source(request.lr_dir))
            images: Sequence[AnyHR] | None = None
            # given LR files are an input like the HR images: a group's key names their content, so files rewritten
            # in place are never answered with the old files' rows (the label stays the folder template)
            lr_tag = "" if lr_folder is None else "+lr:" + lr_files_sha256(lr_folder, [i.id for i in ds.images])[:16]
            for method in request.methods:
                method.check_scale(scale)
                key = GroupKey(method.name, method.key() + lr_tag, ds.name, ds.checksum, scale, proto.key())
                ids = [img.id for img in ds.images]
                saver = None if save_sr is None else SrFolder(save_sr, method, ds.name, ds.checksum, scale, proto)
                cached = _reused(run, key, ids, saver)
                if cached is not None:
                    yield cached
                    continue
                if images is None:
                    images = _images(run, ds, decoded, scale, proto)
                if isinstance(method, SrDirMethod):
                    method.check_files({img.id: img.size for img in images}, scale)
                advance = run.progress(f"{method.name} {ds.title} x{scale}", len(images))
                one_group = group_scorer(
                    method, scale, proto, run.device, run.timer, run.specs, lr_folder, request.batch, saver
                )
                groups = groups_by_shape(images, request.batch if method.batchable else 1)
                scoring = GroupScoring(run.pool, one_group, groups, advance)
                yield Job(ds, scale, method, images, proto, key, scoring, saver)


def _reused(run: Run, key: GroupKey, ids: list[str], saver: SrFolder | None) -> pd.DataFrame | None:
    """The rows of ``key`` from the output or the store when they are complete (each then gets what it lacks)."""
    table, store, metrics = run.table, run.request.store, run.request.metrics
    wanted = saver is not None and not saver.complete(ids)  # SR images to save: compute the group
    cached = None if wanted else table.lookup(key, ids, metrics)
    if cached is None and store is not None and not wanted:
        cached = store.lookup(key, ids, metrics)
        if cached is not None and table.path is not None:
            table.replace(key, cached)
    elif cached is not None and store is not None and store.lookup(key, ids, metrics) is None:
        store.replace(key, cached)
    return cached


def _images(run: Run, ds: Dataset, decoded: DecodedImages, scale: int, proto: Protocol) -> Sequence[AnyHR]:
    """The HR images of ``ds`` at ``scale``: planned from the catalogued (or header) sizes, each worker decoding its
    own group's images; decoded all now when the sizes are known only by decoding."""
    images = plan_images(ds, decoded, scale, proto, run.timer)
    if images is not None:
        return images
    arrays = load_images(ds, max(2, run.workers), decoded)
    with run.timer("prepare"):
        return [prepare_hr(i, a, scale, proto) for i, a in arrays]
