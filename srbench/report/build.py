"""Write the committed report files (``reports/``) from a result store, deterministically.

``srbench report build --store reports/store --out reports`` writes, for the store's scales:

* ``leaderboard.md`` / ``leaderboard.tex``: every method x dataset x metric at each scale, best bold, second
  underlined, sorted by Set5 PSNR;
* ``johnson2016_x4.md`` / ``.tex`` (and ``_x8``): the paper's layout (Fig. 8 / Fig. 9), published vs
  reproduced with footnotes, and the FSIM / VIF table;
* ``means.csv``: the tidy means (dataset, scale, method, n, metrics) behind every cell.

Each text file starts with a comment naming the command and the store's digest (sha256 over its group files),
so a test can tell whether the committed reports are up to date with the committed store.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import ConfigError
from srbench.report.budgets import PAPER_BUDGET, budget_notes, column_budgets
from srbench.report.formats import render_table
from srbench.report.leaderboard import leaderboard, means
from srbench.report.paper import (
    DEFAULT_ROLES,
    paper_table,
    perceptual_table,
    published_vs_reproduced,
    supplementary_table,
)
from srbench.report.select import guard_protocols, latest_groups, prepare_rows, select_rows
from srbench.results.store import ResultStore

COMMAND = "srbench report build --store reports/store --output reports"


def build_command_line(store_root: str | Path, out_dir: str | Path, protocol: str | None = None) -> str:
    """The ``srbench report build`` command line that writes ``out_dir`` from ``store_root`` (the files' stamp):
    :data:`COMMAND` for the committed reports."""
    cmd = f"srbench report build --store {Path(store_root).as_posix()} --output {Path(out_dir).as_posix()}"
    return cmd + (f" --protocol {protocol}" if protocol else "")


CORE_METRICS = ("psnr", "ssim", "fsim", "vif")
EXTRA_METRICS = ("lpips", "dists")


def store_digest(store: ResultStore) -> str:
    """sha256 over (relative path, bytes) of every group file, in sorted order."""
    h = hashlib.sha256()
    for p in store.files():
        h.update(p.relative_to(store.root).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def _metrics_in(rows: pd.DataFrame) -> list[str]:
    return [m for m in (*CORE_METRICS, *EXTRA_METRICS) if m in rows.columns and len(rows) and rows[m].notna().all()]


def _partial_metrics(rows: pd.DataFrame) -> list[str]:
    """The extra metrics (LPIPS, DISTS) some but not all rows have: shown with '-' where not computed."""
    complete = set(_metrics_in(rows))
    return [m for m in EXTRA_METRICS if m not in complete and m in rows.columns and rows[m].notna().any()]


def _partial_note(rows: pd.DataFrame, metrics: list[str]) -> list[str]:
    """A footnote naming the methods that have ``metrics`` (the others show '-')."""
    if not metrics:
        return []
    have = sorted({str(m) for m in rows.loc[rows[metrics].notna().all(axis=1), "method"]})
    names = " / ".join(m.upper() for m in metrics)
    return [f"{names} computed for {', '.join(have)} only (on the CPU, about 5 s per image each); '-': not computed."]


def _roles_have(rows: pd.DataFrame, scale: int, metrics: list[str]) -> bool:
    """Whether every paper column's method (:data:`DEFAULT_ROLES`) has ``metrics`` on every one of its rows."""
    if not set(metrics) <= set(rows.columns):
        return False
    cols = rows[rows["method"].astype(str).isin(DEFAULT_ROLES[scale].values())]
    present = set(cols["method"].astype(str))
    return present == set(DEFAULT_ROLES[scale].values()) and bool(cols[metrics].notna().all(axis=None))


def leaderboard_caveats(rows: pd.DataFrame) -> list[str]:
    """The leaderboard's footnotes: each method's budget and post-process, as in the paper tables."""
    methods = sorted(set(rows["method"].astype(str)))
    notes = [f"{line}" for line in budget_notes(column_budgets(rows, {m: m for m in methods}), pairs=())]
    if notes:
        notes.append(
            f"srbench's trained baselines are reduced-budget reproductions (the paper's: {PAPER_BUDGET}); "
            "baselines/README.md has their model cards and training curves."
        )
    return notes


def _write(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def build_reports(
    store_root: str | Path, out_dir: str | Path, command: str = COMMAND, protocol: str | None = None
) -> list[Path]:
    """Render every report file from the store at ``store_root`` into ``out_dir``; returns the paths written.

    The store's rows must share one protocol, or ``protocol`` (a name or key) picks one.
    """
    store = ResultStore(store_root)
    rows, notes = latest_groups(select_rows(prepare_rows(store.rows()), protocol=protocol))
    rows = guard_protocols(rows)
    metrics = _metrics_in(rows)
    if not metrics:
        raise ConfigError(f"result store {store.root}: no metric is complete for every row; re-run srbench eval")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digest = store_digest(store)
    stamp = f"generated by `{command}` from a store with digest sha256:{digest}; do not edit by hand"
    scales = sorted(int(s) for s in rows["scale"].unique())
    written: list[Path] = []

    md = [f"<!-- {stamp} -->", "", "# Leaderboard", ""]
    tex = [f"% {stamp}", "% needs \\usepackage{booktabs}", ""]
    proto = rows.iloc[0]
    md.append(f"Protocol `{proto['protocol_name']}` [{proto['protocol_key']}]; per-image rows in the store.")
    md.append("")
    for s in scales:
        at = rows[rows["scale"].astype(int) == s]
        partial = _partial_metrics(at)
        t = leaderboard(
            at, [*_metrics_in(at), *partial], s, title=f"x{s} (mean over images; best bold, second underlined)"
        )
        t.footnotes = [*notes, *leaderboard_caveats(at), *_partial_note(at, partial)]
        md += [render_table(t, "markdown"), ""]
        tex += [render_table(t, "latex"), ""]
    for name, text in (("leaderboard.md", "\n".join(md)), ("leaderboard.tex", "\n".join(tex))):
        _write(out / name, text.rstrip("\n") + "\n")
        written.append(out / name)

    for s in (x for x in scales if x in DEFAULT_ROLES):
        md = [f"<!-- {stamp} -->", "", f"# Johnson et al. 2016, x{s}", ""]
        tex = [f"% {stamp}", "% needs \\usepackage{booktabs}", ""]
        at = rows[rows["scale"].astype(int) == s]
        at_metrics = set(_metrics_in(at))
        tables = [paper_table(at, s), published_vs_reproduced(at, s)]
        if {"fsim", "vif"} <= at_metrics:
            tables.append(supplementary_table(at, s))
        if {"lpips", "dists"} <= at_metrics or _roles_have(at, s, ["lpips", "dists"]):
            tables.append(perceptual_table(at, s))
        for t in tables:
            md += [render_table(t, "markdown"), ""]
            tex += [render_table(t, "latex"), ""]
        for suffix, text in (("md", "\n".join(md)), ("tex", "\n".join(tex))):
            path = out / f"johnson2016_x{s}.{suffix}"
            _write(path, text.rstrip("\n") + "\n")
            written.append(path)

    anywhere = [m for m in (*CORE_METRICS, *EXTRA_METRICS) if m in rows.columns and rows[m].notna().any()]
    tidy = means(rows, anywhere).sort_values(["scale", "dataset", "method"], kind="stable")
    path = out / "means.csv"
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        fh.write(f"# {stamp}\n")
        tidy.to_csv(fh, index=False, float_format="%.6f")
    written.append(path)
    return written


def check_reports(
    store_root: str | Path, out_dir: str | Path, scratch: str | Path, protocol: str | None = None
) -> list[str]:
    """Names of the files in ``out_dir`` that differ from a fresh build into ``scratch`` (empty: up to date)."""
    fresh = build_reports(store_root, scratch, build_command_line(store_root, out_dir, protocol), protocol)
    stale = []
    for p in fresh:
        committed = Path(out_dir) / p.name
        if not committed.is_file() or _unstamped(committed.read_bytes()) != _unstamped(p.read_bytes()):
            stale.append(p.name)
    return stale


def _unstamped(data: bytes) -> bytes:
    """The file without the command line of its stamp (the same files may be built with other path spellings);
    the store digest stays, so a changed store still makes them stale."""
    return re.sub(rb"generated by `[^`]*`", b"generated by ``", data, count=1)
