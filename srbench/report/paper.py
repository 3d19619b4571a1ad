"""The paper's table layouts: Johnson et al. 2016 Fig. 8 (x4) and Fig. 9 (x8), published vs reproduced.

The paper compares four columns, its *roles*: ``Bicubic``, ``l_pixel`` (its network trained with the per-pixel
loss), ``SRCNN`` and ``l_feat`` (feature-reconstruction loss); rows are the Set5, Set14 and BSD100 means of PSNR /
SSIM plus per-image examples (``baby`` from Set5, ``comic`` from Set14 at x4). :data:`DEFAULT_ROLES` maps each
role to a srbench method per scale (override with ``roles``). Every cell is the mean of the per-image rows it
comes from (:func:`srbench.report.leaderboard.means`), or the per-image value for an example row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from srbench.errors import ConfigError
from srbench.metrics import METRICS
from srbench.report.budgets import PAPER_BUDGET, budget_notes, column_budgets
from srbench.report.formats import Table
from srbench.report.leaderboard import dataset_title, means, rank_marks
from srbench.report.published import ROLES, footnotes, published

PAPER_DATASETS = ("set5", "set14", "bsd100")
EXAMPLES: dict[int, tuple[tuple[str, str], ...]] = {4: (("set5", "baby"), ("set14", "comic")), 8: ()}
FIGURE = {4: "Fig. 8", 8: "Fig. 9"}

DEFAULT_ROLES: dict[int, dict[str, str]] = {
    4: {
        "Bicubic": "bicubic",
        "l_pixel": "johnson-x4-pixel+histmatch",
        "SRCNN": "srcnn-955-imagenet-x4",
        "l_feat": "johnson-x4-feature+histmatch",
    },
    8: {
        "Bicubic": "bicubic",
        "l_pixel": "johnson-x8-pixel+histmatch",
        "SRCNN": "srcnn-x8",
        "l_feat": "johnson-x8-feature+histmatch",
    },
}
"""The paper's columns. Its networks' outputs are histogram-matched to the LR input (sec. 4.2, Model Details), so
the l_pixel and l_feat columns are the ``+histmatch`` methods; Bicubic and SRCNN are not post-processed, as in the
paper."""


def budget_footnotes(rows: pd.DataFrame, present: Mapping[str, str]) -> list[str]:
    """Every column's budget (:mod:`srbench.report.budgets`), whether l_pixel / l_feat share one, the paper's."""
    notes = budget_notes(column_budgets(rows, present))
    if notes:
        notes.append(f"The paper's networks: {PAPER_BUDGET}.")
    return notes


def roles_for(scale: int, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The role -> method map at ``scale``: :data:`DEFAULT_ROLES` updated by ``overrides``."""
    if scale not in DEFAULT_ROLES:
        raise ConfigError(f"the paper's tables are at x4 and x8, not x{scale}; use --scale 4 or --scale 8")
    from srbench.methods.naming import canonical_method_name

    out = dict(DEFAULT_ROLES[scale])
    for role, method in (overrides or {}).items():
        if role not in ROLES:
            raise ConfigError(f"unknown paper column {role!r}; use one of {', '.join(ROLES)} (as ROLE=METHOD)")
        out[role] = canonical_method_name(method)
    return out


def parse_roles(specs: Sequence[str]) -> dict[str, str]:
    """``["l_pixel=my-model", ...]`` -> ``{"l_pixel": "my-model"}``; one-line error for a malformed item."""
    out = {}
    for spec in specs:
        role, sep, method = spec.partition("=")
        if not sep or not role or not method:
            raise ConfigError(f"--role {spec!r}: write ROLE=METHOD, e.g. --role l_pixel=johnson-x4-pixel")
        out[role.strip()] = method.strip()
    return out


def _present(rows: pd.DataFrame, scale: int, roles: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    at = rows[rows["scale"].astype(int) == scale]
    have = set(at["method"].astype(str))
    present = {r: m for r, m in roles.items() if m in have}
    notes = [
        f"{role}: no results for {method} at x{scale} in the store; column left out"
        for role, method in roles.items()
        if method not in have
    ]
    return present, notes


def _row_label(dataset: str, image: str) -> str:
    return f"{dataset_title(dataset)} {image}" if image else dataset_title(dataset)


def _values(rows: pd.DataFrame, scale: int, method: str, metric: str) -> dict[tuple[str, str], float]:
    """(dataset, image or "") -> mean (image "") or per-image value of ``metric`` for ``method`` at ``scale``."""
    at = rows[(rows["scale"].astype(int) == scale) & (rows["method"].astype(str) == method)]
    out: dict[tuple[str, str], float] = {}
    if at.empty or metric not in at.columns:
        return out
    for _, r in means(at, [metric]).iterrows():
        out[(str(r["dataset"]), "")] = float(r[metric])
    for _, r in at.iterrows():
        out[(str(r["dataset"]), str(r["image"]))] = float(r[metric])
    return out


def paper_table(
    rows: pd.DataFrame,
    scale: int,
    roles: Mapping[str, str] | None = None,
    metrics: Sequence[str] = ("psnr", "ssim"),
    examples: bool = True,
    title: str = "",
) -> Table:
    """The paper's layout at ``scale``: rows Set5 / Set14 / BSD100 (+ example images), columns role x metric.

    Best and second best per row and metric are marked (on the printed digits).
    """
    roles = roles_for(scale, roles)
    present, notes = _present(rows, scale, roles)
    if not present:
        raise ConfigError(
            f"none of the paper's methods ({', '.join(roles.values())}) has results at x{scale} in the store; "
            "run srbench eval for them or map the columns with --role ROLE=METHOD"
        )
    datasets = [d for d in PAPER_DATASETS if d in set(rows["dataset"].astype(str))]
    if not datasets:
        raise ConfigError("the paper's tables need results on set5, set14 or bsd100; the store has none")
    row_keys = [(d, "") for d in datasets]
    if examples:
        row_keys += [(d, i) for d, i in EXAMPLES.get(scale, ()) if d in datasets]
    values = {(role, m): _values(rows, scale, meth, m) for role, meth in present.items() for m in metrics}
    columns = ["Data"] + [f"{role} {METRICS.get(m).name.upper()}" for role in present for m in metrics]
    cells: list[list[str]] = []
    marks: list[list[str]] = []
    for key in row_keys:
        row_cells = [_row_label(*key)]
        row_marks = [""]
        per_metric: dict[str, list[float]] = {}
        for m in metrics:
            spec = METRICS.get(m)
            per_metric[m] = [round(values[(role, m)].get(key, float("nan")), spec.decimals) for role in present]
        ranks = {m: rank_marks(per_metric[m], METRICS.get(m).higher_is_better) for m in metrics}
        for i, _role in enumerate(present):
            for m in metrics:
                v = per_metric[m][i]
                row_cells.append("-" if pd.isna(v) else f"{v:.{METRICS.get(m).decimals}f}")
                row_marks.append(ranks[m][i])
        cells.append(row_cells)
        marks.append(row_marks)
    mapping = ", ".join(f"{r} = {m}" for r, m in present.items())
    foot = [f"Columns: {mapping}.", *notes, *budget_footnotes(rows[rows["scale"].astype(int) == scale], present)]
    return Table(
        pd.DataFrame(cells, columns=columns),
        marks=pd.DataFrame(marks, columns=columns),
        title=title or f"{FIGURE.get(scale, '')} layout, x{scale}: mean {' / '.join(m.upper() for m in metrics)}",
        footnotes=foot,
    )


def supplementary_table(rows: pd.DataFrame, scale: int, roles: Mapping[str, str] | None = None) -> Table:
    """FSIM / VIF in the paper's layout (its supplement's metrics; its values were not found, so ours only)."""
    return paper_table(
        rows, scale, roles, metrics=("fsim", "vif"), examples=False, title=f"Supplementary-style FSIM / VIF, x{scale}"
    )


def published_vs_reproduced(
    rows: pd.DataFrame, scale: int, roles: Mapping[str, str] | None = None, paper: str = "johnson2016"
) -> Table:
    """Every published number of ``paper`` at ``scale`` beside srbench's, with the difference and footnotes.

    Columns: Data, Column (role and srbench method), Paper / Ours / Δ for PSNR and SSIM, Notes (footnote
    numbers). Δ = ours - paper. Published entries whose method has no results show ``-`` for ours.
    """
    roles = roles_for(scale, roles)
    pub = published(paper)
    pub = pub[pub["scale"] == scale]
    if pub.empty:
        raise ConfigError(f"{paper} publishes no x{scale} numbers; use --scale 4 or --scale 8")
    notes_text = footnotes()
    order: list[str] = []
    out_rows = []
    vals = {(role, m): _values(rows, scale, roles[role], m) for role in roles for m in ("psnr", "ssim")}
    for _, p in pub.iterrows():
        key = (str(p["dataset"]), str(p["image"]))
        role = str(p["role"])
        refs = []
        for note in filter(None, str(p["notes"]).split(";")):
            if note not in order:
                order.append(note)
            refs.append(str(order.index(note) + 1))
        row = [_row_label(*key), f"{role} ({roles[role]})"]
        for m, dec in (("psnr", 2), ("ssim", 4)):
            ours = vals[(role, m)].get(key, float("nan"))
            paper_v = float(p[m])
            row += [f"{paper_v:.{dec}f}", "-" if pd.isna(ours) else f"{ours:.{dec}f}"]
            row.append("-" if pd.isna(ours) else f"{round(ours, dec) - paper_v:+.{dec}f}")
        row.append(",".join(refs))
        out_rows.append(row)
    columns = ["Data", "Column", "Paper PSNR", "Ours PSNR", "Δ PSNR", "Paper SSIM", "Ours SSIM", "Δ SSIM", "Notes"]
    source = str(pub.iloc[0]["source"]).split(", Fig.")[0]
    foot = [f"[{i + 1}] {notes_text[n]}" for i, n in enumerate(order)]
    foot.append(
        f"Paper: {source}, {FIGURE.get(scale, '')}. Δ = ours - paper, on the printed digits, the same way for every "
        "column; l_pixel and l_feat are histogram-matched to the LR input as the paper's were."
    )
    foot += budget_footnotes(rows[rows["scale"].astype(int) == scale], roles)
    return Table(
        pd.DataFrame(out_rows, columns=columns),
        title=f"Published vs reproduced, x{scale} ({paper}, {FIGURE.get(scale, '')})",
        footnotes=foot,
        align=["l", "l", "r", "r", "r", "r", "r", "r", "l"],
        keys=2,
    )


def perceptual_table(rows: pd.DataFrame, scale: int, roles: Mapping[str, str] | None = None) -> Table:
    """LPIPS / DISTS in the paper's layout (lower is better): the paper's point that l_feat looks better although
    its PSNR is lower, measured by learned perceptual distances (which the paper predates)."""
    return paper_table(
        rows,
        scale,
        roles,
        metrics=("lpips", "dists"),
        examples=False,
        title=f"Perceptual distances LPIPS (VGG) / DISTS, x{scale} (lower is better)",
    )
