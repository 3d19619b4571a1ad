"""Rich renderings for the terminal: the leaderboard of means and the timing breakdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from rich.table import Table

from srbench.metrics import METRICS
from srbench.report.leaderboard import best_per_group


def leaderboard_table(table: pd.DataFrame, metrics: Sequence[str], title: str = "") -> Table:
    """Methods grouped by dataset and scale; the best value per group and metric in bold."""
    t = Table(title=title or None, title_justify="left", header_style="bold")
    t.add_column("Dataset")
    t.add_column("Scale", justify="right")
    t.add_column("Method")
    t.add_column("n", justify="right", style="dim")
    specs = [METRICS.get(m) for m in metrics]
    for s in specs:
        t.add_column(s.label, justify="right")
    best = {m: best_per_group(table, m) for m in metrics}
    prev = None
    for i, row in table.iterrows():
        group = (row["dataset"], row["scale"])
        if prev is not None and group != prev:
            t.add_section()
        cells = [str(row["dataset"]), f"x{row['scale']}", str(row["method"]), str(row["n"])]
        for s in specs:
            v = row[s.name]
            text = "-" if pd.isna(v) else f"{v:.{s.decimals}f}"
            cells.append(f"[bold]{text}[/bold]" if bool(best[s.name].loc[i]) else text)
        t.add_row(*cells)
        prev = group
    return t


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
