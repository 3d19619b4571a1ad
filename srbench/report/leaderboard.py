"""Means per (dataset, scale, method) from per-image result rows.

The dataset score of a metric is the mean of its per-image values (never a pooled MSE), as in the SR
literature; ``n`` counts the images behind each mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from srbench.metrics import METRICS
from srbench.report.formats import Table


def means(rows: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """One row per (dataset, scale, method): the mean of each metric and the image count ``n``.

    Row order follows the first appearance of each dataset and method in ``rows``. A mean is NaN unless every
    image of its group has a value: a mean over part of a dataset is never printed as the dataset's.
    """
    if rows.empty:
        return pd.DataFrame(columns=["dataset", "scale", "method", "n", *metrics])
    keys = ["dataset", "scale", "method"]
    grouped = rows.groupby(keys, sort=False)
    size = grouped.size()
    out = grouped[list(metrics)].mean()
    complete = grouped[list(metrics)].count().eq(size, axis=0)
    out = out.where(complete)
    out.insert(0, "n", size)
    return out.reset_index()


def best_per_group(table: pd.DataFrame, metric: str) -> pd.Series:
    """Boolean mask of the best method per (dataset, scale) for ``metric`` (ties all marked)."""
    spec = METRICS.get(metric)
    grp = table.groupby(["dataset", "scale"], sort=False)[metric]
    best = grp.transform("max" if spec.higher_is_better else "min")
    return (table[metric] == best) & table[metric].notna() & (grp.transform("size") > 1)


DATASET_TITLES = {"set5": "Set5", "set14": "Set14", "bsd100": "BSD100", "demo": "Demo", "urban100": "Urban100"}


def dataset_order(names: Sequence[str]) -> list[str]:
    """Unique names, the paper's datasets first (Set5, Set14, BSD100), then the rest alphabetically."""
    known = list(DATASET_TITLES)
    return sorted(dict.fromkeys(names), key=lambda n: (known.index(n) if n in known else len(known), n))


def dataset_title(name: str) -> str:
    """Printed name of a dataset (``bsd100`` -> ``BSD100``); other names unchanged."""
    return DATASET_TITLES.get(name, name)


def rank_marks(values: Sequence[float], higher_is_better: bool) -> list[str]:
    """``"best"`` / ``"second"`` / ``""`` per value, ranking the values as printed (ties share a mark).

    Nothing is marked when fewer than two values are present.
    """
    present = sorted({v for v in values if not pd.isna(v)}, reverse=higher_is_better)
    if len(present) < 2 or sum(not pd.isna(v) for v in values) < 2:
        return [""] * len(values)
    best = present[0]
    second = present[1] if len(present) > 1 else None
    return ["best" if v == best else "second" if v == second else "" for v in values]


def parse_sort(sort: str | None, metrics: Sequence[str], datasets: Sequence[str]) -> tuple[str, str]:
    """``METRIC`` or ``DATASET:METRIC`` -> (dataset, metric); default: the first metric on the first dataset."""
    from srbench.errors import ConfigError

    if not sort:
        return datasets[0], metrics[0]
    ds, _, metric = sort.rpartition(":")
    ds = ds or datasets[0]
    if metric not in metrics:
        raise ConfigError(f"--sort {sort}: metric {metric!r} is not in the table; use one of {', '.join(metrics)}")
    if ds not in datasets:
        raise ConfigError(f"--sort {sort}: dataset {ds!r} is not in the table; use one of {', '.join(datasets)}")
    return ds, metric


def leaderboard(
    rows: pd.DataFrame,
    metrics: Sequence[str],
    scale: int,
    datasets: Sequence[str] | None = None,
    sort: str | None = None,
    title: str = "",
) -> Table:
    """Methods x (dataset, metric) means at one scale, best in bold and second best underlined.

    Each cell is the mean over the dataset's images of the per-image values in ``rows`` (rows must already be
    selected and protocol-guarded: :mod:`srbench.report.select`), printed with the metric's digits; ranks
    are decided on the printed values. Rows are sorted by ``sort`` (``METRIC`` or ``DATASET:METRIC``, best
    first; default the first metric on the first dataset).
    """
    at = rows[rows["scale"].astype(int) == int(scale)]
    ds_names = list(datasets) if datasets else dataset_order(list(at["dataset"].astype(str)))
    ds_names = [d for d in ds_names if d in set(at["dataset"].astype(str))]
    table = means(at, metrics)
    sort_ds, sort_metric = parse_sort(sort, metrics, ds_names)
    methods = list(dict.fromkeys(at["method"].astype(str)))
    spec = METRICS.get(sort_metric)
    key = table[table["dataset"] == sort_ds].set_index("method")[sort_metric]

    def order(method: str) -> tuple[bool, float]:
        v = key.get(method)
        if v is None or pd.isna(v):  # no result on the sort dataset: after every method that has one
            return True, 0.0
        return False, -float(v) if spec.higher_is_better else float(v)

    methods.sort(key=order)
    columns = ["Method"]
    cells: dict[str, list[str]] = {"Method": methods}
    marks: dict[str, list[str]] = {"Method": [""] * len(methods)}
    for ds in ds_names:
        sub = table[table["dataset"] == ds].set_index("method")
        for m in metrics:
            s = METRICS.get(m)
            col = f"{dataset_title(ds)} {s.name.upper()}"
            vals = [round(float(sub.at[me, m]), s.decimals) if me in sub.index else float("nan") for me in methods]
            columns.append(col)
            cells[col] = ["-" if pd.isna(v) else f"{v:.{s.decimals}f}" for v in vals]
            marks[col] = rank_marks(vals, s.higher_is_better)
    return Table(
        pd.DataFrame(cells, columns=columns),
        marks=pd.DataFrame(marks, columns=columns),
        title=title or f"x{scale}",
        align=["l"] + ["r"] * (len(columns) - 1),
    )
