"""The decoded HR arrays of one dataset, shared by every method and scale of an evaluation (no torch: the lean
path, :mod:`srbench.evaluate.lean`, uses it too)."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING
from typing import Protocol as TypingProtocol

import numpy as np

if TYPE_CHECKING:
    from srbench.data.datasets import ImageEntry


class StageTimer(TypingProtocol):
    def __call__(self, stage: str) -> AbstractContextManager[None]: ...


class DecodedImages:
    """The decoded HR arrays of one dataset, filled on first use by whichever thread asks (safe across threads)."""

    def __init__(self, timer: StageTimer) -> None:
        self._arrays: dict[str, np.ndarray] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._timer = timer

    def get(self, entry: ImageEntry) -> np.ndarray:
        """The decoded image; decoded once even when several jobs (methods, scales) ask for it at the same time."""
        array = self._arrays.get(entry.id)
        if array is not None:
            return array
        with self._lock:
            image_lock = self._locks.setdefault(entry.id, threading.Lock())
        with image_lock:  # a second thread asking for this image waits for the first one's decode
            array = self._arrays.get(entry.id)
            if array is None:
                with self._timer("decode"):
                    array = entry.load()
                self._arrays[entry.id] = array
        return array
