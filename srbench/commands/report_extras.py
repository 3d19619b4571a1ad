"""Thin commands behind ``srbench report compare | figure | chart``: parse nothing, call the report modules.

Each returns the text to print; user mistakes raise :class:`srbench.errors.SrbenchError` with one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from srbench.config import data_root as configured_data_root
from srbench.data.datasets import resolve_dataset
from srbench.errors import ConfigError
from srbench.metrics import METRICS
from srbench.report.figures import Display, chart_data, comparison_panels, render_chart, render_comparison, save_figure
from srbench.report.stats import comparison_table


def _render(df: pd.DataFrame, fmt: str, title: str, footnotes: Sequence[str]) -> str:
    try:
        from srbench.report.formats import Table, render_table
    except ImportError:  # pragma: no cover - before the formats module lands
        if fmt == "csv":
            return df.to_csv(index=False)
        lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
        lines += ["| " + " | ".join(map(str, r)) + " |" for r in df.itertuples(index=False)]
        return "\n".join([f"**{title}**", "", *lines, "", *footnotes]) + "\n"
    align = ["l" if c in ("Dataset", "A", "B") else "r" for c in df.columns]
    keys = 4 if list(df.columns[:4]) == ["Dataset", "Scale", "A", "B"] else 1
    return render_table(Table(df.astype(str), title=title, footnotes=list(footnotes), align=align, keys=keys), fmt)


def _p(p: float) -> str:
    if np.isnan(p):
        return "-"
    return "<1e-4" if p < 1e-4 else f"{p:.3g}"


def compare_command(
    rows: pd.DataFrame,
    methods: Sequence[str] | None,
    dataset: str | None,
    scale: int | None,
    metric: str,
    fmt: str = "rich",
    *,
    protocol: str | None = None,
    n_boot: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
) -> str:
    """Paired per-image comparisons rendered as tables in ``fmt`` (rich, markdown, latex, csv, html).

    ``methods``: exactly two names (or aliases), compared wherever both have results; none: every pair. Rows are
    compared only within one protocol: one table per protocol (or only ``protocol``, a name or key).
    """
    from srbench.methods.naming import canonical_method_name
    from srbench.report.leaderboard import dataset_order
    from srbench.report.select import latest_groups, prepare_rows, select_rows, split_protocols

    spec = METRICS.get(metric)
    methods = [canonical_method_name(m) for m in methods or []]
    if methods and len(methods) != 2:
        raise ConfigError(f"name exactly two methods to compare (-m A -m B) or none for every pair, not {len(methods)}")
    if methods and len(set(methods)) < 2:
        raise ConfigError(f"compare two different methods (got {methods[0]!r} twice)")
    picked = select_rows(
        prepare_rows(rows), methods, None if dataset is None else [dataset], None if scale is None else [scale],
        protocol,
    )  # fmt: skip
    picked, notes = latest_groups(picked)
    order = {d: i for i, d in enumerate(dataset_order(list(picked["dataset"].astype(str))))}
    picked = picked.sort_values("dataset", key=lambda c: c.map(order), kind="stable")
    parts = split_protocols(picked)
    texts = []
    for name, key, part in parts:
        if methods and not set(methods) <= set(part["method"].astype(str)):
            continue  # this protocol does not hold both methods
        skipped: list[str] = []
        table = comparison_table(
            part, metric, methods=methods or None, n_boot=n_boot, confidence=confidence, seed=seed, skipped=skipped
        )
        if table.empty and len(parts) > 1:
            continue
        title = f"Paired comparison, {spec.label}" + (f", protocol {name} [{key}]" if len(parts) > 1 else "")
        texts.append(_render(_comparison_cells(table, spec.decimals, confidence), fmt, title,
                             _footnotes(table, spec.label, n_boot, seed) + skipped + notes))  # fmt: skip
    if not texts:
        raise ConfigError(
            "no two methods share a dataset and scale under one protocol in the selection; evaluate both methods on "
            "the same dataset, scale and protocol first"
        )
    return "\n".join(texts)


def _comparison_cells(table: pd.DataFrame, d: int, confidence: float) -> pd.DataFrame:
    level = f"{100 * confidence:g}%"
    return pd.DataFrame(
        {
            "Dataset": table["dataset"],
            "Scale": [f"x{s}" for s in table["scale"]],
            "A": table["method_a"],
            "B": table["method_b"],
            "n": table["n"],
            "mean A": [f"{v:.{d}f}" for v in table["mean_a"]],
            "mean B": [f"{v:.{d}f}" for v in table["mean_b"]],
            "A - B": [f"{v:+.{d + 1}f}" for v in table["mean_diff"]],
            f"{level} CI": [
                f"[{lo:+.{d + 1}f}, {hi:+.{d + 1}f}]" for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            "p (Wilcoxon)": [_p(p) for p in table["p_value"]],
            "W/T/L": [f"{w}/{t}/{lo}" for w, t, lo in zip(table["wins"], table["ties"], table["losses"], strict=True)],
        }
    )


def _footnotes(table: pd.DataFrame, label: str, n_boot: int, seed: int) -> list[str]:
    footnotes = [
        f"{label}: per-image differences A - B paired by image id; CI: BCa bootstrap of the mean difference "
        f"({n_boot} resamples, seed {seed}; Efron & Tibshirani 1993).",
        "p: two-sided Wilcoxon signed-rank test, zero differences dropped, not adjusted for multiple comparisons. "
        "W/T/L: images where A is better / equal / worse.",
    ]
    if not table.empty and int((table["n"] - table["ties"]).min()) <= 5:
        footnotes.append("With 5 or fewer non-zero differences the two-sided p cannot fall below 2 / 2^5 = 0.0625.")
    return footnotes


def figure_command(
    dataset: str,
    image_id: str,
    scale: int,
    methods: Sequence[str],
    out: Path,
    *,
    box: Sequence[int] | None = None,
    protocol: str = "standard",
    device: str = "auto",
    display: Display = "auto",
    data_root: Path | None = None,
    overview: bool = True,
) -> str:
    """Write the Fig. 8-style comparison of ``methods`` on one image; returns what was written and the captions."""
    from srbench.device import resolve_device
    from srbench.methods.naming import canonical_method_name
    from srbench.protocol.record import protocol_from_name

    methods = [canonical_method_name(m) for m in methods]
    ds = resolve_dataset(dataset, configured_data_root(data_root))
    proto, dev = protocol_from_name(protocol), resolve_device(device)
    comp = comparison_panels(ds, image_id, scale, methods, box=box, protocol=proto, device=dev, display=display)
    paths = save_figure(render_comparison(comp, overview=overview), out)
    top, left, h, w = comp.box
    lines = [f"wrote {', '.join(map(str, paths))}", f"box: top={top} left={left} height={h} width={w} ({comp.display})"]
    lines += [f"{p.label}: PSNR {p.psnr:.2f} dB, SSIM {p.ssim:.4f}" for p in comp.panels if p.psnr is not None]
    return "\n".join(lines)


def chart_command(
    rows: pd.DataFrame,
    metric: str,
    out: Path,
    *,
    scale: int | None = None,
    protocol: str | None = None,
    ymin: float | None = None,
) -> str:
    """Write the grouped bar chart of ``metric`` by method and dataset; returns what was written.

    Rows of different protocols are never drawn in one chart: with ``protocol`` (name or key) only that one,
    else one chart per protocol, the file stem suffixed with the protocol's name when there are several.
    """
    from srbench.report.select import latest_groups, prepare_rows, select_rows, split_protocols

    picked = select_rows(prepare_rows(rows), scales=None if scale is None else [scale], protocol=protocol)
    picked, _ = latest_groups(picked)
    parts = split_protocols(picked)
    lines = []
    for name, _key, part in parts:
        stem = out if len(parts) == 1 else out.with_name(f"{out.name}_{_slug(name)}")
        data = chart_data(part, metric, scale=scale)
        paths = save_figure(render_chart(data, metric, ymin=ymin), stem)
        where = f" (protocol {name})" if len(parts) > 1 else ""
        lines.append(f"wrote {', '.join(map(str, paths))} ({len(data)} bars){where}")
    return "\n".join(lines)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in name)
