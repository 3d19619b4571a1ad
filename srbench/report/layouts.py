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
from srbench.report.select import guard_protocols, latest_groups, select_rows

LAYOUTS = ("leaderboard", "paper", "published", "supplementary", "all")


def metrics_present(rows: pd.DataFrame) -> list[str]:
    """Registered metrics with a value in every row, in registry order (psnr, ssim, fsim, vif first)."""
    order = ["psnr", "ssim", "fsim", "vif", *[m for m in METRICS.names() if m not in ("psnr", "ssim", "fsim", "vif")]]
    return [m for m in order if m in rows.columns and rows[m].notna().all()]


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
    """Select, de-duplicate and protocol-guard ``rows``, then build the tables of ``layout``."""
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    picked = select_rows(rows, methods, datasets, scales, protocol)
    picked, notes = latest_groups(picked)
    picked = guard_protocols(picked, side_by_side)
    present = metrics_present(picked)
    if metrics:
        for m in metrics:
            METRICS.get(m)
            if m not in present:
                raise ConfigError(
                    f"metric {m} is missing for some selected rows; re-run srbench eval with --metric {m} or choose "
                    f"from {', '.join(present) or 'none'}"
                )
        chosen = list(metrics)
    else:
        chosen = present
    if not chosen:
        raise ConfigError("no metric has a value in every selected row; narrow the selection or re-run srbench eval")
    all_scales = sorted(int(s) for s in picked["scale"].unique())
    tables: list[Table] = []
    if layout == "leaderboard":
        for s in all_scales:
            t = leaderboard(picked, chosen, s, datasets=datasets, sort=sort)
            t.footnotes += notes
            tables.append(t)
        return tables
    paper_scales = [s for s in all_scales if s in DEFAULT_ROLES]
    if not paper_scales:
        raise ConfigError("the paper's layouts are at x4 and x8; the selection has neither (use --scale 4 or 8)")
    for s in paper_scales:
        if layout in ("paper", "all"):
            tables.append(paper_table(picked, s, roles, metrics=[m for m in chosen if m in ("psnr", "ssim")] or chosen))
        if layout in ("published", "all"):
            tables.append(published_vs_reproduced(picked, s, roles))
        if layout in ("supplementary", "all") and {"fsim", "vif"} <= set(present):
            tables.append(supplementary_table(picked, s, roles))
        elif layout == "supplementary":
            raise ConfigError(
                "the supplementary table needs FSIM and VIF; re-run srbench eval with --metric fsim --metric vif"
            )
    for t in tables:
        t.footnotes += notes
    return tables
