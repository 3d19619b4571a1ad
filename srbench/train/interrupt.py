"""Ctrl-C during training: the first SIGINT is honoured at the end of the running iteration, a second at once."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any


class DeferredInterrupt:
    """Turns the first SIGINT into a request honoured at the end of the running iteration (main thread only)."""

    def __init__(self, enabled: bool) -> None:
        self.requested = False
        self._enabled = enabled and threading.current_thread() is threading.main_thread()
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> DeferredInterrupt:
        if self._enabled:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            signal.signal(signal.SIGINT, self._previous)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Ctrl-C raises at once meanwhile (e.g. while a confirmation prompt waits for the user)."""
        if not self._enabled:
            yield
            return
        signal.signal(signal.SIGINT, self._previous)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self._handler)
