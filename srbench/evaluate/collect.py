"""Collecting an evaluation's groups in plan order, shared by the general path and the lean path.

A plan is a list of slots: a reused group's rows (a DataFrame, already stored) or a job whose rows come when it
finishes. :func:`collect_in_order` waits for the jobs one by one in plan order, has each one's rows written by
``finish`` (the output CSV and the result store, :func:`write_group`) before the next is waited for, and frees the
job's images by replacing the slot with its rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

if TYPE_CHECKING:
    from srbench.results.store import ResultStore
    from srbench.results.table import GroupKey, ResultTable

J = TypeVar("J")


def write_group(key: GroupKey, rows: pd.DataFrame, table: ResultTable, store: ResultStore | None) -> None:
    """Write one finished group's rows to the output CSV and (if any) the result store, each atomically."""
    table.replace(key, rows)
    if store is not None:
        store.replace(key, rows)


def collect_in_order(
    slots: list[pd.DataFrame | J], finish: Callable[[J], pd.DataFrame]
) -> tuple[list[pd.DataFrame], int, int]:
    """``(frames, reused groups, computed groups)``: every slot's rows in plan order; ``finish(job)`` waits for a
    job, writes its rows and returns them."""
    reused = sum(isinstance(slot, pd.DataFrame) for slot in slots)
    frames: list[pd.DataFrame] = []
    for i, slot in enumerate(slots):
        rows = slot if isinstance(slot, pd.DataFrame) else finish(slot)
        frames.append(rows)
        slots[i] = rows  # the job's images (and, with its dataset's last job, the decoded arrays) can be freed
    return frames, reused, len(slots) - reused
