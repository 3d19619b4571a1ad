"""How long a training run will take, from its first timed iterations; durations as people read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunEstimate:
    """How long the whole run will take on this device, from the first timed iterations (after one warm-up)."""

    seconds: float
    seconds_per_iteration: float
    iterations: int
    device: str
    timed_iterations: int

    def describe(self) -> str:
        return (
            f"estimated run time on {self.device}: {format_duration(self.seconds)} for {self.iterations} "
            f"iterations ({self.seconds_per_iteration:.3g} s per iteration over {self.timed_iterations} timed, "
            "validation not counted)"
        )


def format_duration(seconds: float) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``7 min``, ``12 s``: two units at most."""
    s = round(seconds)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    if d:
        return f"{d} d {h} h"
    if h:
        return f"{h} h {m} min"
    return f"{m} min" if m else f"{sec} s"


#: iterations timed (after one warm-up iteration) for :class:`RunEstimate`
ESTIMATE_ITERATIONS = 3
