"""Sliding-window rate limits in memory: at most ``limit`` events per key within any ``window`` seconds.

The study server counts study starts per client address and per platform identity (see
:class:`srbench.study.design.RateLimit`). Counts live in the server process (a restart forgets them); the number
of keys kept is bounded (the least recently used are dropped first), so a flood of distinct keys cannot exhaust
memory.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque


class SlidingWindow:
    """``hit(key)`` records an event and returns 0 when it is within the limit, else the seconds until it would be."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._events.pop(key, None) or deque()
            while q and q[0] <= now - self.window:
                q.popleft()
            self._events[key] = q
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
            if len(q) >= self.limit:
                return q[0] + self.window - now
            q.append(now)
            return 0.0
