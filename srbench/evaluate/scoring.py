"""Scoring: metrics on ``(image_id, sr, gt)`` pairs batched by shape, and the work on one group of images.

Every metric scores each image of a batch on its own, so a value never depends on the batch it was in (pinned by
tests: bit-identical alone and batched) nor on the number of worker threads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import torch
from torch import Tensor

from srbench.errors import DataError
from srbench.evaluate.method_stage import run_method
from srbench.evaluate.save_sr import SrFolder
from srbench.evaluate.sources import AnyHR
from srbench.evaluate.timing import Timer
from srbench.evaluate.workers import map_in_threads
from srbench.methods.base import Method
from srbench.metrics import MetricSpec
from srbench.protocol.record import Protocol

Scores = dict[str, dict[str, float]]
"""``image_id -> metric name -> value``."""


def score_pairs(
    pairs: Sequence[tuple[str, Tensor, Tensor]],
    metrics: Sequence[MetricSpec],
    device: torch.device,
    timer: Timer,
    batch: int = 16,
    workers: int = 1,
) -> Scores:
    """Score ``(image_id, y_sr, y_gt)`` pairs (each ``(1, H, W)``) with every metric, batched by shape.

    Chunks of at most ``batch`` images of one shape are scored on ``workers`` threads (chunks of at most 4 when
    ``workers > 1``, for balance); every metric scores each image on its own, so no value depends on either.
    """
    # (C, H, W) of both sides: stackable. An RGB method's output on a grayscale image has three channels and its
    # HR one, beside colour images of the same size
    by: dict[tuple[int, ...], list[tuple[str, Tensor, Tensor]]] = defaultdict(list)
    for image_id, s, g in pairs:
        by[(*s.shape, *g.shape)].append((image_id, s, g))
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

    scores: Scores = defaultdict(dict)
    for chunk, values in zip(chunks, map_in_threads(score_chunk, chunks, workers), strict=True):
        for name, vals in values.items():
            for (image_id, _, _), v in zip(chunk, vals, strict=True):
                scores[image_id][name] = float(v)
    return scores


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
) -> Callable[[list[AnyHR]], Scores]:
    """The work on one group of images of one shape: :func:`run_method`, then :func:`score_pairs` on its output.

    Each group is scored while its luminance images are still in the cache, and only ``workers`` groups of them
    are in memory at once (fresh memory costs page faults on the CPU); the values are those of running the
    method on all images and scoring them in turn.
    """
    y_metrics = [m for m in metrics if m.space != "rgb"]
    rgb_metrics = [m for m in metrics if m.space == "rgb"]

    def one_group(group: list[AnyHR]) -> Scores:
        rgb: dict[str, tuple[Tensor, Tensor]] | None = {} if rgb_metrics else None
        pairs = run_method(method, group, scale, protocol, device, timer, lr_folder, batch, rgb=rgb, save=save)
        scores = score_pairs(pairs, y_metrics, device, timer, batch=len(pairs))
        if rgb:
            rgb_pairs = [(image_id, *rgb[image_id]) for image_id, _, _ in pairs]
            for image_id, values in score_pairs(rgb_pairs, rgb_metrics, device, timer, batch=len(pairs)).items():
                scores.setdefault(image_id, {}).update(values)
        return scores

    return one_group


class GroupScoring:
    """The groups of one (dataset, scale, method) job, computed on a shared pool (or at once, without one)."""

    def __init__(
        self,
        pool: ThreadPoolExecutor | None,
        one_group: Callable[[list[AnyHR]], Scores],
        groups: list[list[AnyHR]],
        advance: Callable[[int], None],
    ) -> None:
        self._futures: list[Future[Scores]] = []
        self._done: Scores | None = None
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
    def _advance_when_done(advance: Callable[[int], None], n: int) -> Callable[[Future[Scores]], None]:
        def done(f: Future[Scores]) -> None:  # runs on the worker: rich progress is thread-safe
            if not f.cancelled() and f.exception() is None:
                advance(n)

        return done

    def finished(self) -> bool:
        """Whether every group is scored (without an error): the job's rows can be written now."""
        if self._done is not None:
            return True
        return all(f.done() and not f.cancelled() and f.exception() is None for f in self._futures)

    def result(self) -> Scores:
        if self._done is None:
            done: Scores = {}  # complete before it is kept (an interrupt may come meanwhile)
            for f in self._futures:
                done.update(f.result())
            self._done = done
        return self._done
