"""Choosing the result rows a table is made of, and refusing to mix rows that are not comparable.

* :func:`select_rows` filters by method, dataset, scale and protocol, with one-line errors that name what the
  store holds.
* :func:`latest_groups` keeps, per (method, dataset, scale, protocol), the newest group when a method was
  re-evaluated with other weights (its provenance key changed) or a dataset's files changed.
* :func:`guard_protocols` is the protocol guard: rows scored under different protocols (RGB vs Y, another
  degradation, another shave, ...) or on different copies of a dataset are never silently mixed in one table.
  It raises a ``DataError`` naming the difference, or, with ``side_by_side``, labels each method with its
  protocol so the table shows them as separate entries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from srbench.errors import ConfigError, DataError


def _names(values: pd.Series) -> str:
    return ", ".join(sorted(map(str, values.unique())))


def select_rows(
    rows: pd.DataFrame,
    methods: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
    scales: Sequence[int] | None = None,
    protocol: str | None = None,
) -> pd.DataFrame:
    """Rows of the given methods, datasets, scales and protocol (name or key); ``None`` keeps all.

    Unknown names raise a one-line ``ConfigError`` listing what the rows hold. The order of ``methods`` and
    ``datasets`` is kept as a categorical order for the tables.
    """
    out = rows
    for col, wanted in (("method", methods), ("dataset", datasets)):
        if wanted:
            missing = [w for w in wanted if w not in set(out[col].astype(str))]
            if missing:
                raise ConfigError(
                    f"no results for {col} {missing[0]!r} in the store; it holds: {_names(rows[col])} "
                    f"(run srbench eval for it first)"
                )
            out = out[out[col].astype(str).isin(wanted)]
    if scales:
        missing_s = [s for s in scales if s not in set(out["scale"].astype(int))]
        if missing_s:
            raise ConfigError(f"no results at x{missing_s[0]} in the store; it holds scales: {_names(rows['scale'])}")
        out = out[out["scale"].astype(int).isin(list(scales))]
    if protocol:
        by_name = out["protocol_name"].astype(str) == protocol
        by_key = out["protocol_key"].astype(str) == protocol
        if not (by_name | by_key).any():
            raise ConfigError(
                f"no results under protocol {protocol!r}; the selected rows have: {_names(out['protocol_name'])}"
            )
        out = out[by_name | by_key]
    if out.empty:
        raise DataError("no result rows match the selection; drop a --method/--dataset/--scale filter")
    return out.copy()


def latest_groups(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Keep the newest group per (method, dataset, scale, protocol key); return the rows and a note per drop.

    A group is identified by its method provenance key and dataset checksum; "newest" is the latest
    ``created`` time stamp among its rows.
    """
    slot = ["method", "dataset", "scale", "protocol_key"]
    group = [*slot, "method_key", "dataset_checksum"]
    created = rows.groupby(group, sort=False)["created"].max().reset_index()
    created = created.sort_values("created", kind="stable")
    newest = created.drop_duplicates(slot, keep="last")
    notes = []
    if len(newest) < len(created):
        dropped = created.merge(newest[group], on=group, how="left", indicator=True)
        for _, r in dropped[dropped["_merge"] == "left_only"].iterrows():
            notes.append(
                f"older results of {r['method']} on {r['dataset']} x{r['scale']} (created {r['created']}) are "
                "superseded by a newer evaluation and not shown"
            )
        rows = rows.merge(newest[group], on=group, how="inner")
    return rows, notes


def _protocol_dict(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def describe_difference(a: str, b: str) -> str:
    """The settings in which two protocol records (JSON) differ: ``degradation: bicubic vs blur-bicubic``."""
    da, db = _protocol_dict(a), _protocol_dict(b)
    keys = [k for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)]
    return "; ".join(f"{k}: {da.get(k, '-')} vs {db.get(k, '-')}" for k in keys) or "protocol keys differ"


def guard_protocols(rows: pd.DataFrame, side_by_side: bool = False) -> pd.DataFrame:
    """Refuse rows under more than one protocol (or dataset copy), or label methods by protocol (side by side).

    Raises:
        DataError: naming the two protocols, the methods scored under each and the settings that differ, and
            the ways out (``--protocol NAME`` to pick one, ``--side-by-side`` to show both).
    """
    keys = rows.drop_duplicates("protocol_key")[["protocol_key", "protocol_name", "protocol"]]
    if len(keys) > 1:
        if side_by_side:
            out = rows.copy()
            label = out["protocol_name"].astype(str) + " " + out["protocol_key"].astype(str).str[:6]
            out["method"] = out["method"].astype(str) + " [" + label + "]"
            return _guard_datasets(out)
        a, b = keys.iloc[0], keys.iloc[1]
        meth_a = _names(rows.loc[rows["protocol_key"] == a["protocol_key"], "method"])
        meth_b = _names(rows.loc[rows["protocol_key"] == b["protocol_key"], "method"])
        diff = describe_difference(a["protocol"], b["protocol"])
        raise DataError(
            f"refusing to mix protocols in one table: {a['protocol_name']} [{a['protocol_key']}] ({meth_a}) and "
            f"{b['protocol_name']} [{b['protocol_key']}] ({meth_b}) differ in {diff}; "
            f"pick one with --protocol NAME or show them side by side with --side-by-side"
        )
    return _guard_datasets(rows)


def _guard_datasets(rows: pd.DataFrame) -> pd.DataFrame:
    sums = rows.drop_duplicates(["dataset", "dataset_checksum"])
    dup = sums[sums.duplicated("dataset", keep=False)]
    if not dup.empty:
        name = dup.iloc[0]["dataset"]
        raise DataError(
            f"results for dataset {name} were scored on different copies of its files (checksums "
            f"{_names(dup['dataset_checksum'])}); run `srbench datasets verify` and re-evaluate on one copy"
        )
    return rows
