"""Batches of HR images of one shape: degradation, methods and metrics run on them without changing any value.

Images of one shape share the LR geometry, so a group goes through the method as one batch. Portrait images are
not transposed to join the landscape batch: FSIM is transposition-invariant only up to ~2e-6 when a side is even,
and the gain would be small, since FSIM's filter bank is cached per shape anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from srbench.evaluate.sources import AnyHR


def groups_by_shape(items: Sequence[AnyHR], batch: int) -> list[list[AnyHR]]:
    """``items`` grouped by size (in the order each size first appears), in chunks of at most ``batch``."""
    by: dict[tuple[int, int], list[AnyHR]] = defaultdict(list)
    for it in items:
        by[it.size].append(it)
    out = []
    for group in by.values():
        for i in range(0, len(group), batch):
            out.append(group[i : i + batch])
    return out
