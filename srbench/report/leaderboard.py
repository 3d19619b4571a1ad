"""Means per (dataset, scale, method) from per-image result rows.

The dataset score of a metric is the mean of its per-image values (never a pooled MSE), as in the SR
literature; ``n`` counts the images behind each mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from srbench.metrics import METRICS


def means(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """One row per (dataset, scale, method): the mean of each metric and the image count ``n``.

    Row order follows the first appearance of each dataset and method in ``rows``.
    """
    if rows.empty:
        return pd.DataFrame(columns=["dataset", "scale", "method", "n", *metrics])
    keys = ["dataset", "scale", "method"]
    grouped = rows.groupby(keys, sort=False)
    out = grouped[list(metrics)].mean()
    out.insert(0, "n", grouped.size())
    return out.reset_index()


def best_per_group(table: pd.DataFrame, metric: str) -> pd.Series:
    """Boolean mask of the best method per (dataset, scale) for ``metric`` (ties all marked)."""
    spec = METRICS.get(metric)
    grp = table.groupby(["dataset", "scale"], sort=False)[metric]
    best = grp.transform("max" if spec.higher_is_better else "min")
    return (table[metric] == best) & table[metric].notna() & (grp.transform("size") > 1)
