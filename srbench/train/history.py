"""The loss history of a run and the CSV text it is written as (``train_log.csv``, ``validation.csv``).

``train_log.csv`` holds one row per iteration (``iteration, loss, <components>, it_per_s, elapsed_s``); floats
are written with ``repr``, so values read back are the logged ones exactly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from srbench.atomic import atomic_path
from srbench.errors import DataError

TRAIN_LOG = "train_log.csv"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder: never half-written."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        fh.write(text)


def csv_text(columns: Sequence[str], rows: Iterator[Sequence[Any]] | list[Sequence[Any]], header: bool) -> str:
    """CSV lines of ``rows`` (floats as ``repr``), after a header line of ``columns`` when ``header``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(columns)
    for row in rows:
        w.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return buf.getvalue()


class History:
    """The per-iteration loss history (the source of truth for ``train_log.csv``)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.columns = ["iteration", "loss", *names, "it_per_s", "elapsed_s"]
        self.data: dict[str, list[float]] = {c: [] for c in self.columns}

    def __len__(self) -> int:
        return len(self.data["iteration"])

    def add(self, row: Sequence[float]) -> None:
        for c, v in zip(self.columns, row, strict=True):
            self.data[c].append(v)

    def rows(self, start: int = 0) -> Iterator[list[Any]]:
        for i in range(start, len(self)):
            yield [int(self.data["iteration"][i]), *[self.data[c][i] for c in self.columns[1:]]]

    def to_state(self) -> dict[str, Tensor]:
        out = {c: torch.tensor(v, dtype=torch.float64) for c, v in self.data.items() if c != "iteration"}
        out["iteration"] = torch.tensor(self.data["iteration"], dtype=torch.int64)
        return out

    def load_state(self, state: dict[str, Tensor], upto: int) -> None:
        if list(state) and set(state) != set(self.columns):
            raise DataError(
                f"the checkpoint's loss history has columns {sorted(state)}, this run logs {sorted(self.columns)}; "
                "resume with the same loss settings"
            )
        keep = int((state["iteration"] <= upto).sum()) if "iteration" in state else 0
        for c in self.columns:
            vals = state[c][:keep].tolist() if c in state else []
            self.data[c] = [int(v) for v in vals] if c == "iteration" else [float(v) for v in vals]

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.data, columns=self.columns)
        return df.astype({"iteration": "int64"})
