"""The result store: every evaluation's per-image rows, one CSV file per result group, written atomically.

Layout: ``<root>/groups/<dataset>/x<scale>/<method>--<hash>.csv``, one file per :class:`GroupKey` (method name,
method provenance key, dataset name and checksum, scale, protocol key); ``<hash>`` is the first 16 hex digits of
the sha256 of those six fields. Why a directory of CSV files (and not one Parquet file or a database):

* **atomic and interrupt-safe**: each finished group is written to a temporary file in the same folder and
  renamed into place (:func:`srbench.atomic.atomic_path`). A run killed at any moment leaves every earlier group
  complete and no half-written file; leftover temporary files are ignored on reading.
* **deduplicated by key**: writing a group whose key already exists replaces that one file, so repeating a run
  never duplicates rows; metrics present in the old file but not recomputed are kept (merged per image).
* **diffable and reviewable**: the committed ``reports/store`` is plain text that ``git diff`` shows cell by cell;
  floats are written with 17 significant digits, so values read back are bit-identical.
* no extra dependency (Parquet needs pyarrow) and no server; the stores here are small (one row per image).

The root is the ``--store`` option, else ``$SRBENCH_STORE``, else ``~/.local/share/srbench/store``
(``$XDG_DATA_HOME/srbench/store`` when that is set).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from srbench.errors import DataError
from srbench.results.table import ID_COLUMNS, KEY_COLUMNS, GroupKey, redefined_metrics, write_results_atomic

STORE_ENV = "SRBENCH_STORE"
_STR_COLUMNS = {"image": str, "method_key": str, "protocol_key": str, "dataset_checksum": str, "method": str}


def default_store_root() -> Path:
    """``$SRBENCH_STORE``, else ``$XDG_DATA_HOME/srbench/store``, else ``~/.local/share/srbench/store``."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "srbench" / "store"


def group_hash(key: GroupKey) -> str:
    """First 16 hex digits of sha256 over the six key fields, joined by NUL."""
    text = "\0".join(str(getattr(key, c)) for c in KEY_COLUMNS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return slug[:60] or "method"


class ResultStore:
    """A directory of per-group result CSVs (see the module docstring).

    ``lookup`` / ``replace`` have the same meaning as :class:`srbench.results.table.ResultTable`'s, so
    :func:`srbench.evaluate.evaluate` reuses stored groups and writes new ones as soon as they are finished.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_store_root()
        if self.root.exists() and not self.root.is_dir():
            raise DataError(f"result store {self.root} is a file, not a folder; pass --store a folder")

    # -- one group -----------------------------------------------------------------------------------------------
    def path_for(self, key: GroupKey) -> Path:
        return (
            self.root / "groups" / _slug(key.dataset) / f"x{key.scale}" / f"{_slug(key.method)}--{group_hash(key)}.csv"
        )

    def _read(self, path: Path) -> pd.DataFrame:
        try:
            df = pd.read_csv(path, dtype=_STR_COLUMNS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
            raise DataError(
                f"result store file {path} is corrupt ({type(exc).__name__}); delete it and re-run srbench eval for "
                "that method and dataset"
            ) from None
        missing = [c for c in (*ID_COLUMNS, *KEY_COLUMNS) if c not in df.columns]
        if missing or df.empty:
            what = f"no column {missing[0]!r}" if missing else "no rows"
            raise DataError(
                f"result store file {path} is not an srbench result group ({what}); delete it and re-run srbench eval"
            )
        return df

    def lookup(self, key: GroupKey, image_ids: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame | None:
        """Stored rows for ``key`` if they cover every image and every metric; else ``None``."""
        path = self.path_for(key)
        if not path.is_file():
            return None
        df = self._read(path)
        if any(m not in df.columns for m in metrics):
            return None
        if set(df["image"]) != set(image_ids) or len(df) != len(image_ids):
            return None
        if df[list(metrics)].isna().any().any() or redefined_metrics(df, metrics):
            return None
        return df

    def replace(self, key: GroupKey, rows: pd.DataFrame) -> None:
        """Store ``rows`` as the group ``key``, atomically; metrics only in the old file are kept per image."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        new = rows.reset_index(drop=True)
        if path.is_file():
            try:
                old = self._read(path)
            except DataError:
                old = None  # a corrupt old file is simply replaced by the new, complete group
            if old is not None:
                new = _merge_metrics(old, new)
        write_results_atomic(new, path)

    # -- everything ----------------------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        """Every group file (temporary files of interrupted writes are skipped)."""
        groups = self.root / "groups"
        if not groups.is_dir():
            return []
        return sorted(p for p in groups.rglob("*.csv") if not p.name.startswith("."))

    def rows(self) -> pd.DataFrame:
        """Every stored row; a one-line ``DataError`` when the store is missing or empty."""
        if not self.root.is_dir():
            raise DataError(
                f"result store {self.root} does not exist; run srbench eval first or pass --store / set "
                f"${STORE_ENV} to a store"
            )
        files = self.files()
        if not files:
            raise DataError(
                f"result store {self.root} holds no results; run srbench eval first or pass --store / set "
                f"${STORE_ENV} to a store"
            )
        frames = [self._read(p) for p in files]
        df = pd.concat(frames, ignore_index=True)
        return df

    def __len__(self) -> int:
        return len(self.files())


def _merge_metrics(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` with, per image, metric columns that ``new`` lacks (or has as NaN) taken from ``old``, together with
    those metrics' recorded settings (``metric_settings``), so that a value never loses its definition."""
    from srbench.metrics import METRICS

    metric_cols = [m for m in METRICS.names() if m in old.columns]
    if not metric_cols:
        return new
    old_by_image = old.set_index("image")
    out = new.copy()
    taken: dict[str, set[str]] = {str(i): set() for i in out["image"]}
    for m in metric_cols:
        prev = out["image"].map(old_by_image[m])
        if m not in out.columns:
            out[m] = prev
            use_old = prev.notna()
        else:
            use_old = out[m].isna() & prev.notna()
            out[m] = out[m].where(~use_old, prev)
        for image in out.loc[use_old, "image"]:
            taken[str(image)].add(m)
    if "metric_settings" in old.columns and any(taken.values()):
        old_settings = old_by_image["metric_settings"]
        merged = []
        for image, text in zip(out["image"], out.get("metric_settings", pd.Series([None] * len(out))), strict=True):
            settings = _settings(text)
            previous = _settings(old_settings.get(image))
            for m in sorted(taken[str(image)]):
                if m in previous and m not in settings:
                    settings[m] = previous[m]
            merged.append(json.dumps(settings, sort_keys=True) if settings else text)
        out["metric_settings"] = merged
    return out


def _settings(text: object) -> dict[str, object]:
    """A ``metric_settings`` cell as a dict (empty for a missing or unreadable cell)."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
