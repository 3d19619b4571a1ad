"""The per-image result table: one row per (dataset, scale, method, image), written atomically.

Rows carry the protocol record and the keys that decide whether earlier results can be reused: the method's
provenance hash, the dataset checksum, the scale and the protocol key. A re-run with the same ``--output``
skips every group whose rows are complete for the requested metrics.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import DataError

METRIC_COLUMNS = ("psnr", "ssim", "fsim", "vif")
ID_COLUMNS = ("dataset", "scale", "method", "image")
KEY_COLUMNS = ("method", "method_key", "dataset", "dataset_checksum", "scale", "protocol_key")


@dataclass(frozen=True)
class GroupKey:
    """Identifies one (method, dataset, scale, protocol) block of results."""

    method: str
    method_key: str
    dataset: str
    dataset_checksum: str
    scale: int
    protocol_key: str

    def mask(self, df: pd.DataFrame) -> pd.Series:
        m = pd.Series(True, index=df.index)
        for col in KEY_COLUMNS:
            m &= df[col].astype(str) == str(getattr(self, col))
        return m


def read_results(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a result CSV written by srbench; one-line ``DataError`` if it is not one."""
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype={"image": str, "method_key": str, "protocol_key": str, "dataset_checksum": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{p}: not a readable results CSV ({type(exc).__name__}); move it away or pick another --output"
        ) from None
    missing = [c for c in (*ID_COLUMNS, *KEY_COLUMNS) if c not in df.columns]
    if missing:
        raise DataError(f"{p}: not an srbench results file (no column {missing[0]!r}); pick another --output")
    return df


def write_results_atomic(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` as CSV via a temporary file in the same folder and ``os.replace``: never half-written.

    Floats are written with 17 significant digits, so values read back are bit-identical to the computed ones.
    """
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        df.to_csv(fh, index=False, float_format="%.17g")


def redefined_metrics(rows: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """The requested metrics whose settings recorded in ``rows`` (``metric_settings``) differ from the metric now
    registered under that name: values computed under another definition of the name, never to be reused.
    A metric without recorded settings is not judged here."""
    from srbench.metrics import METRICS

    if "metric_settings" not in rows.columns or rows.empty:
        return []
    recorded: dict[str, object] = {}
    for text in rows["metric_settings"].dropna().astype(str).unique():
        try:
            recorded.update(json.loads(text))
        except ValueError:
            return list(metrics)  # unreadable: nothing can be vouched for
    return [
        m
        for m in metrics
        if m in recorded and m in METRICS and recorded[m] != json.loads(json.dumps(dict(METRICS.get(m).settings)))
    ]


class ResultTable:
    """In-memory result rows bound to an optional CSV file that is rewritten atomically on every change."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None and self.path.exists() and self.path.stat().st_size > 0:
            self.df = read_results(self.path)
        else:
            self.df = pd.DataFrame()

    def lookup(self, key: GroupKey, image_ids: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame | None:
        """Stored rows for ``key`` if they cover every image and every metric; else ``None``."""
        if self.df.empty or any(c not in self.df.columns for c in (*KEY_COLUMNS, *metrics)):
            return None
        rows = self.df[key.mask(self.df)]
        if set(rows["image"].astype(str)) != set(image_ids) or len(rows) != len(image_ids):
            return None
        if rows[list(metrics)].isna().any().any() or redefined_metrics(rows, metrics):
            return None
        return rows.copy()

    def replace(self, key: GroupKey, rows: pd.DataFrame) -> None:
        """Replace the rows of ``key`` by ``rows`` and save (atomically) when bound to a file."""
        kept = self.df[~key.mask(self.df)] if not self.df.empty else self.df
        frames = [f for f in (kept, rows) if not f.empty]
        self.df = pd.concat(frames, ignore_index=True) if frames else rows
        if self.path is not None:
            write_results_atomic(self.df, self.path)
