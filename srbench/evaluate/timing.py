"""Stage timings of an evaluation, and where its worker threads notice an interrupt."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import torch


class Interrupted(Exception):
    """Raised in a worker thread at its next stage once the run was interrupted (Ctrl-C in the main thread)."""


class Timer:
    """Accumulates wall time per named stage; every stage is also where a worker notices an interrupt.

    Every piece of work of a run (decoding, degradation, the method, each metric) enters a stage, so once
    :attr:`stop` is set (by :func:`srbench.evaluate.evaluate` on Ctrl-C) each worker thread stops at its next stage
    with :class:`Interrupted` instead of finishing its whole group of images.
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
