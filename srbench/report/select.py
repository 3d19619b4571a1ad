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


def _weights_sha(provenance: object) -> str:
    try:
        value = json.loads(str(provenance))
    except (TypeError, json.JSONDecodeError):
        return ""
    return str(value.get("weights_sha256", "")) if isinstance(value, dict) else ""


def prepare_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Store rows under one vocabulary: canonical method names and derived protocol names.

    * ``method``: aliases resolved (:func:`srbench.methods.naming.canonical_method_name`), so ``srcnn`` and
      ``srcnn-955-imagenet-x4`` rows are one method;
    * ``protocol_name``: :func:`srbench.protocol.record.protocol_label` of each row's protocol record
      (``standard``, ``standard+lr-dir``), suffixed ``@<key prefix>`` where two keys would share a name;
    * ``weights``: the weights sha256 from the method provenance (empty for methods without weights).
    """
    from srbench.methods.naming import canonical_method_name
    from srbench.protocol.record import label_of_record

    out = rows.copy()
    out["method"] = out["method"].astype(str).map(canonical_method_name)
    if "protocol" in out.columns:
        records = out.drop_duplicates("protocol_key").set_index("protocol_key")["protocol"]
        labels = {str(k): label_of_record(v) for k, v in records.items()}
    else:
        labels = {
            str(k): str(n) for k, n in out.drop_duplicates("protocol_key")[["protocol_key", "protocol_name"]].values
        }
    shared = pd.Series(labels).duplicated(keep=False) if labels else pd.Series(dtype=bool)
    for key in shared[shared].index:
        labels[key] = f"{labels[key]}@{key[:8]}"
    out["protocol_name"] = out["protocol_key"].astype(str).map(labels)
    prov = out["method_provenance"] if "method_provenance" in out.columns else pd.Series("", index=out.index)
    shas = {v: _weights_sha(v) for v in prov.unique()}
    out["weights"] = prov.map(shas)
    return out


def protocols_in(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """(name, key) of every protocol in ``rows``, the one with most rows first (ties by name)."""
    counts = rows.groupby(["protocol_name", "protocol_key"], sort=False).size().reset_index(name="n")
    counts = counts.sort_values(["n", "protocol_name"], ascending=[False, True], kind="stable")
    return [(str(n), str(k)) for n, k in counts[["protocol_name", "protocol_key"]].values]


def split_protocols(rows: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """``rows`` split by protocol: (name, key, rows) per protocol, in :func:`protocols_in` order."""
    return [(n, k, rows[rows["protocol_key"].astype(str) == k]) for n, k in protocols_in(rows)]


def select_rows(
    rows: pd.DataFrame,
    methods: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
    scales: Sequence[int] | None = None,
    protocol: str | None = None,
) -> pd.DataFrame:
    """Rows of the given methods, datasets, scales and protocol (name or key); ``None`` keeps all.

    Method names may be aliases. Unknown names raise a one-line ``ConfigError`` listing what the rows hold.
    ``protocol`` matches a protocol name, a key or a key prefix of at least 6 hex digits.
    """
    from srbench.methods.naming import canonical_method_name

    out = rows
    if methods:
        methods = [canonical_method_name(m) for m in methods]
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
        key = out["protocol_key"].astype(str)
        by_key = (key == protocol) | (key.str.startswith(protocol) if len(protocol) >= 6 else False)
        if not (by_name | by_key).any():
            have = ", ".join(f"{n} [{k}]" for n, k in protocols_in(out))
            raise ConfigError(f"no results under protocol {protocol!r}; pass --protocol with one of: {have}")
        out = out[by_name | by_key]
    if out.empty:
        raise DataError("no result rows match the selection; drop a --method/--dataset/--scale filter")
    return out.copy()


def latest_groups(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Keep the newest group per (method, weights, dataset, scale, protocol key); return the rows and notes.

    A group is identified by its method provenance key and dataset checksum; "newest" is the latest
    ``created`` time stamp among its rows. Rows are first put into one vocabulary (:func:`prepare_rows`).
    Different weights never supersede each other: when one name holds several weights files, the newest keeps
    the name and the others are shown as ``<name>-<sha256 prefix>``.
    """
    if "weights" not in rows.columns:
        rows = prepare_rows(rows)
    rows, notes = _split_weights(rows)
    slot = ["method", "weights", "dataset", "scale", "protocol_key"]
    group = [*slot, "method_key", "dataset_checksum"]
    created = rows.groupby(group, sort=False)["created"].max().reset_index()
    created = created.sort_values("created", kind="stable")
    newest = created.drop_duplicates(slot, keep="last")
    if len(newest) < len(created):
        dropped = created.merge(newest[group], on=group, how="left", indicator=True)
        for _, r in dropped[dropped["_merge"] == "left_only"].iterrows():
            notes.append(
                f"older results of {r['method']} on {r['dataset']} x{r['scale']} (created {r['created']}) are "
                "superseded by a newer evaluation and not shown"
            )
        rows = rows.merge(newest[group], on=group, how="inner")
    return rows, notes


def _split_weights(rows: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    weighted = rows[rows["weights"] != ""]
    if weighted.empty:
        return rows, []
    newest = weighted.groupby(["method", "weights"], sort=False)["created"].max().reset_index()
    notes = []
    rows = rows.copy()
    for method, g in newest.groupby("method", sort=False):
        if len(g) < 2:
            continue
        keep = g.sort_values("created", kind="stable").iloc[-1]["weights"]
        for sha in g["weights"]:
            if sha == keep:
                continue
            mask = (rows["method"] == method) & (rows["weights"] == sha)
            rows.loc[mask, "method"] = f"{method}-{sha[:8]}"
            notes.append(f"{method}-{sha[:8]}: older weights named {method} (sha256 {sha[:16]}...), kept apart")
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
            out["method"] = out["method"].astype(str) + " [" + out["protocol_name"].astype(str) + "]"
            return _guard_datasets(out)
        a, b = keys.iloc[0], keys.iloc[1]
        meth_a = _names(rows.loc[rows["protocol_key"] == a["protocol_key"], "method"])
        meth_b = _names(rows.loc[rows["protocol_key"] == b["protocol_key"], "method"])
        diff = describe_difference(a["protocol"], b["protocol"])
        raise DataError(
            f"refusing to mix protocols in one table: {a['protocol_name']} [{a['protocol_key']}] ({meth_a}) and "
            f"{b['protocol_name']} [{b['protocol_key']}] ({meth_b}) differ in {diff}; "
            f"pick one with --protocol {a['protocol_name']} (or a key) or show them side by side with --side-by-side"
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
