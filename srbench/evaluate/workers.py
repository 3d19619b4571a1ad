"""Worker threads of an evaluation: how many, and an in-order ``map`` over them.

Groups of images run on ``workers`` threads at once (default: the CPU cores, at most 4; 1 on a GPU), each with one
torch intra-op thread; torch, scipy's FFT and numpy release the GIL in their kernels. Each item is computed by the
same code whatever the number of workers, so no value depends on it (pinned by tests/evaluate/test_workers.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch

MAX_WORKERS = 4
"""Most worker threads :func:`default_workers` picks on the CPU."""

_T = TypeVar("_T")
_R = TypeVar("_R")


def default_workers(device: torch.device | str) -> int:
    """Worker threads over image groups: the available CPU cores (at most ``MAX_WORKERS``) on the CPU, 1 on a GPU.

    Each worker runs torch single-threaded (``EvalRequest(threads=1)``); torch, scipy's FFT and numpy release the
    GIL inside their kernels, so groups of images are scored on several cores at once.
    """
    kind = device.split(":")[0] if isinstance(device, str) else device.type  # a name: no torch needed (lean path)
    if kind != "cpu":
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
