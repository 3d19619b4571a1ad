"""Rich renderings for the terminal: the leaderboard of means and the timing breakdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from rich.table import Table

from srbench.metrics import METRICS
from srbench.report.formats import Table as FTable
from srbench.report.formats import rich_tables
from srbench.report.leaderboard import best_per_group


def means_table(table: pd.DataFrame, metrics: Sequence[str], title: str = "") -> FTable:
    """The means of ``srbench eval`` as a :class:`srbench.report.formats.Table`: one row per (dataset, scale,
    method), the best value per (dataset, scale) and metric marked; Dataset, Scale and Method name each row."""
    specs = [METRICS.get(m) for m in metrics]
    best = {m: best_per_group(table, m) for m in metrics}
    cells: dict[str, list[str]] = {"Dataset": [], "Scale": [], "Method": [], "n": []}
    marks: dict[str, list[str]] = {c: [] for c in cells}
    for s in specs:
        cells[s.label] = []
        marks[s.label] = []
    for i, row in table.iterrows():
        for col, text in (("Dataset", row["dataset"]), ("Scale", f"x{row['scale']}"), ("Method", row["method"])):
            cells[col].append(str(text))
            marks[col].append("")
        cells["n"].append(str(row["n"]))
        marks["n"].append("")
        for s in specs:
            v = row[s.name]
            cells[s.label].append("-" if pd.isna(v) else f"{v:.{s.decimals}f}")
            marks[s.label].append("best" if bool(best[s.name].loc[i]) else "")
    return FTable(
        pd.DataFrame(cells), marks=pd.DataFrame(marks), title=title, align=["l", "r", "l", "r"] + ["r"] * len(specs),
        keys=3,
    )  # fmt: skip


def leaderboard_table(table: pd.DataFrame, metrics: Sequence[str], title: str = "", width: int = 200) -> list[Table]:
    """Rich tables of :func:`means_table`, split into parts of whole columns that fit ``width``."""
    return rich_tables(means_table(table, metrics, title), width)


def timing_table(timings: Mapping[str, float], n_images: int) -> Table:
    t = Table(title="Where the time went", title_justify="left", header_style="bold")
    t.add_column("Stage")
    t.add_column("Seconds", justify="right")
    t.add_column("Share", justify="right")
    t.add_column("ms / image", justify="right")
    total = sum(timings.values()) or 1.0
    for stage, sec in sorted(timings.items(), key=lambda kv: -kv[1]):
        t.add_row(stage, f"{sec:.2f}", f"{100 * sec / total:.0f} %", f"{1000 * sec / max(n_images, 1):.1f}")
    return t
