"""``report_tables``: the tables ``srbench report`` prints, from store rows, by layout.

Layouts:

* ``leaderboard``: methods x datasets x metrics, one table per scale (:func:`srbench.report.leaderboard.leaderboard`);
* ``paper``: the paper's Fig. 8 / Fig. 9 layout (:func:`srbench.report.paper.paper_table`);
* ``published``: the paper's numbers beside ours, with differences and footnotes;
* ``supplementary``: FSIM / VIF in the paper's layout;
* ``all``: paper, published and supplementary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from srbench.errors import ConfigError
from srbench.metrics import METRICS
from srbench.report.formats import Table
from srbench.report.leaderboard import leaderboard
from srbench.report.paper import DEFAULT_ROLES, paper_table, published_vs_reproduced, supplementary_table
from srbench.report.select import guard_protocols, latest_groups, prepare_rows, select_rows, split_protocols

LAYOUTS = ("leaderboard", "paper", "published", "supplementary", "all")


def metrics_present(rows: pd.DataFrame) -> list[str]:
    """Registered metrics with a value in some row, in registry order (psnr, ssim, fsim, vif first)."""
    order = ["psnr", "ssim", "fsim", "vif", *[m for m in METRICS.names() if m not in ("psnr", "ssim", "fsim", "vif")]]
    return [m for m in order if m in rows.columns and rows[m].notna().any()]


def _sort_for(sort: str | None, rows: pd.DataFrame, chosen: Sequence[str]) -> tuple[str | None, str | None]:
    """``sort`` if its dataset is in ``rows``, else ``None`` and a footnote (checked once against the selection)."""
    if not sort:
        return None, None
    ds = sort.rpartition(":")[0]
    if ds and ds not in set(rows["dataset"].astype(str)):
        return None, f"--sort {sort}: no {ds} results here; sorted by the first dataset instead"
    return sort, None


def report_tables(
    rows: pd.DataFrame,
    layout: str = "leaderboard",
    scales: Sequence[int] | None = None,
    datasets: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    sort: str | None = None,
    side_by_side: bool = False,
    protocol: str | None = None,
    roles: Mapping[str, str] | None = None,
) -> list[Table]:
    """Select, de-duplicate and split ``rows`` by protocol, then build the tables of ``layout``.

    Rows of different protocols are never mixed in one table: by default every protocol gets its own tables
    (titled with its name and key); ``protocol`` keeps one; ``side_by_side`` shows them in one table with each
    method labelled by its protocol.
    """
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    picked = select_rows(prepare_rows(rows), methods, datasets, scales, protocol)
    picked, notes = latest_groups(picked)
    present = metrics_present(picked)
    if metrics:
        for m in metrics:
            METRICS.get(m)
            if m not in present:
                raise ConfigError(
                    f"no selected row has {m}; re-run srbench eval with --metric {m} or choose from "
                    f"{', '.join(present) or 'none'}"
                )
        chosen = list(metrics)
    else:
        chosen = present
    if not chosen:
        raise ConfigError("the selected rows hold no metric values; re-run srbench eval")
    if sort:
        from srbench.report.leaderboard import parse_sort

        parse_sort(sort, chosen, list(dict.fromkeys(picked["dataset"].astype(str))))
    if side_by_side or picked["protocol_key"].nunique() == 1:
        parts = [("", guard_protocols(picked, side_by_side))]
    else:
        parts = [(f"protocol {name} [{key}]", part) for name, key, part in split_protocols(picked)]
    tables: list[Table] = []
    for label, part in parts:
        made = _layout_tables(part, layout, chosen, datasets, sort, roles, many=len(parts) > 1)
        for t in made:
            if label:
                t.title = f"{t.title}, {label}" if t.title else label
        tables += made
    if not tables:
        raise ConfigError(
            "the paper's layouts are at x4 and x8 with the paper's methods; the selection has none "
            "(use --layout leaderboard, --scale 4 or 8, or --role ROLE=METHOD)"
        )
    for t in tables:
        t.footnotes += notes
        if layout == "leaderboard" and (t.cells.iloc[:, 1:] == "-").to_numpy().any():
            t.footnotes.append("-: not scored for every image of that dataset (run srbench eval for it).")
    return tables


def _layout_tables(
    picked: pd.DataFrame,
    layout: str,
    chosen: Sequence[str],
    datasets: Sequence[str] | None,
    sort: str | None,
    roles: Mapping[str, str] | None,
    many: bool,
) -> list[Table]:
    """The tables of ``layout`` for rows of one protocol (or labelled side by side).

    With ``many`` (one of several protocols) a paper layout that finds none of its methods is skipped, not an
    error.
    """
    present = metrics_present(picked)
    all_scales = sorted(int(s) for s in picked["scale"].unique())
    tables: list[Table] = []
    if layout == "leaderboard":
        for s in all_scales:
            at = picked[picked["scale"].astype(int) == s]
            shown = [m for m in chosen if m in metrics_present(at)] or list(chosen)
            sort_s, note = _sort_for(sort, at, shown)
            if sort_s and sort_s.rpartition(":")[2] not in shown:
                sort_s, note = None, f"--sort {sort}: not scored at x{s}; sorted by the first metric instead"
            t = leaderboard(at, shown, s, datasets=_present_datasets(datasets, at), sort=sort_s)
            if note:
                t.footnotes.append(note)
            tables.append(t)
        return tables
    paper_scales = [s for s in all_scales if s in DEFAULT_ROLES]
    if not paper_scales:
        if many:
            return []
        raise ConfigError("the paper's layouts are at x4 and x8; the selection has neither (use --scale 4 or 8)")
    for s in paper_scales:
        try:
            if layout in ("paper", "all"):
                paper_metrics = [m for m in chosen if m in ("psnr", "ssim")] or list(chosen)
                tables.append(paper_table(picked, s, roles, metrics=paper_metrics))
            if layout in ("published", "all"):
                tables.append(published_vs_reproduced(picked, s, roles))
            if layout in ("supplementary", "all") and {"fsim", "vif"} <= set(present):
                tables.append(supplementary_table(picked, s, roles))
            elif layout == "supplementary":
                raise ConfigError(
                    "the supplementary table needs FSIM and VIF; re-run srbench eval with --metric fsim --metric vif"
                )
        except ConfigError:
            if not many and len(paper_scales) == 1:
                raise
    return tables


def _present_datasets(datasets: Sequence[str] | None, rows: pd.DataFrame) -> list[str] | None:
    if not datasets:
        return None
    have = set(rows["dataset"].astype(str))
    return [d for d in datasets if d in have]
