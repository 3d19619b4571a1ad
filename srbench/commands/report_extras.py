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
from srbench.report.stats import comparison_table, paired_comparison


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
    return render_table(Table(df.astype(str), title=title, footnotes=list(footnotes), align=align), fmt)


def _p(p: float) -> str:
    if np.isnan(p):
        return "-"
    return "<1e-4" if p < 1e-4 else f"{p:.3g}"


def compare_command(
    rows: pd.DataFrame,
    method_a: str | None,
    method_b: str | None,
    dataset: str | None,
    scale: int | None,
    metric: str,
    fmt: str = "rich",
    *,
    n_boot: int = 10000,
    confidence: float = 0.95,
    seed: int = 0,
) -> str:
    """Paired per-image comparison rendered as a table in ``fmt`` (rich, markdown, latex, csv, html).

    With both methods named: that pair on ``dataset`` at ``scale`` (both required). With neither: every pair of
    methods on every dataset (or only ``dataset``) at ``scale`` (or every scale).
    """
    spec = METRICS.get(metric)
    if (method_a is None) != (method_b is None):
        raise ConfigError("name two methods to compare, or none to compare every pair")
    if method_a is not None and method_b is not None:
        if dataset is None or scale is None:
            raise ConfigError("comparing two methods needs --dataset and --scale")
        c = paired_comparison(
            rows, method_a, method_b, dataset, scale, metric, n_boot=n_boot, confidence=confidence, seed=seed
        )
        table = pd.DataFrame([c.__dict__])
    else:
        table = comparison_table(
            rows,
            metric,
            scale=scale,
            datasets=None if dataset is None else [dataset],
            n_boot=n_boot,
            confidence=confidence,
            seed=seed,
        )
    d = spec.decimals
    level = f"{100 * confidence:g}%"
    out = pd.DataFrame(
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
    footnotes = [
        f"{spec.label}: per-image differences A - B paired by image id; CI: BCa bootstrap of the mean difference "
        f"({n_boot} resamples, seed {seed}; Efron & Tibshirani 1993).",
        "p: two-sided Wilcoxon signed-rank test, zero differences dropped, not adjusted for multiple comparisons. "
        "W/T/L: images where A is better / equal / worse.",
    ]
    if not table.empty and int((table["n"] - table["ties"]).min()) <= 5:
        footnotes.append("With 5 or fewer non-zero differences the two-sided p cannot fall below 2 / 2^5 = 0.0625.")
    return _render(out, fmt, f"Paired comparison, {spec.label}", footnotes)


def figure_command(
    dataset: str,
    image_id: str,
    scale: int,
    methods: Sequence[str],
    out: Path,
    *,
    box: Sequence[int] | None = None,
    protocol: str = "standard",
    device: str = "cpu",
    display: Display = "auto",
    data_root: Path | None = None,
    overview: bool = True,
) -> str:
    """Write the Fig. 8-style comparison of ``methods`` on one image; returns what was written and the captions."""
    from srbench.device import resolve_device
    from srbench.protocol.record import get_protocol

    ds = resolve_dataset(dataset, configured_data_root(data_root))
    proto, dev = get_protocol(protocol), resolve_device(device)
    comp = comparison_panels(ds, image_id, scale, methods, box=box, protocol=proto, device=dev, display=display)
    paths = save_figure(render_comparison(comp, overview=overview), out)
    top, left, h, w = comp.box
    lines = [f"wrote {', '.join(map(str, paths))}", f"box: top={top} left={left} height={h} width={w} ({comp.display})"]
    lines += [f"{p.label}: PSNR {p.psnr:.2f} dB, SSIM {p.ssim:.4f}" for p in comp.panels if p.psnr is not None]
    return "\n".join(lines)


def chart_command(
    rows: pd.DataFrame, metric: str, out: Path, *, scale: int | None = None, ymin: float | None = None
) -> str:
    """Write the grouped bar chart of ``metric`` by method and dataset; returns what was written."""
    data = chart_data(rows, metric, scale=scale)
    paths = save_figure(render_chart(data, metric, ymin=ymin), out)
    return f"wrote {', '.join(map(str, paths))} ({len(data)} bars)"
