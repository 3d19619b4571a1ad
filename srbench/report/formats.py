"""Render a table of already-formatted cells as rich, Markdown, LaTeX (booktabs), CSV or HTML.

A :class:`Table` holds string cells (numbers formatted with the metric's printed digits), an optional mark per
cell (``"best"`` or ``"second"``) and footnotes. Every format shows the same cells; marks become bold and
underline (Markdown ``**x**`` / ``_x_``, LaTeX ``\\textbf`` / ``\\underline``, HTML ``<b>`` / ``<u>``, rich
styles). CSV has no styling: marks are written as a trailing ``*`` (best) / ``+`` (second) only when
``csv_marks`` is set, so that spreadsheets read plain numbers by default.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd
from rich.table import Table as RichTable

from srbench.errors import ConfigError

FORMATS = ("rich", "markdown", "latex", "csv", "html")
Mark = str  # "", "best" or "second"


@dataclass
class Table:
    """A rendered-to-be table.

    Attributes:
        cells: string cells; the index is ignored, columns become the header.
        marks: same shape as ``cells`` with ``""``, ``"best"`` or ``"second"``; ``None`` for no marks.
        title: caption (LaTeX ``\\caption``, Markdown heading line, rich title).
        footnotes: printed under the table, in order.
        align: per column ``"l"`` or ``"r"``; default: first column left, others right.
        keys: leading columns that name a row; a terminal table too wide for the screen is split into several
            tables of whole columns, each repeating these.
    """

    cells: pd.DataFrame
    marks: pd.DataFrame | None = None
    title: str = ""
    footnotes: list[str] = field(default_factory=list)
    align: Sequence[str] | None = None
    keys: int = 1

    def __post_init__(self) -> None:
        self.cells = self.cells.reset_index(drop=True).astype(str)
        if self.marks is not None:
            self.marks = self.marks.reset_index(drop=True).fillna("").astype(str)
            if self.marks.shape != self.cells.shape:
                raise ValueError(f"marks shape {self.marks.shape} != cells shape {self.cells.shape}")
        if self.align is None:
            self.align = ["l"] + ["r"] * (self.cells.shape[1] - 1)

    def mark(self, i: int, j: int) -> Mark:
        return "" if self.marks is None else str(self.marks.iat[i, j])

    def styled_rows(self, escape: Callable[[str], str], best: str, second: str) -> list[list[str]]:
        """Every row's cells, escaped, with marked cells put into ``best`` / ``second`` (``"{}"`` templates)."""
        styles = {"best": best, "second": second}
        return [
            [styles.get(self.mark(i, j), "{}").format(escape(self.cells.iat[i, j])) for j in range(self.cells.shape[1])]
            for i in range(len(self.cells))
        ]


def from_frame(df: pd.DataFrame, title: str = "", footnotes: Sequence[str] = ()) -> Table:
    """A :class:`Table` from any DataFrame: floats printed with up to 4 decimals, NaN as ``-``."""

    def fmt(v: object) -> str:
        if isinstance(v, float):
            return "-" if pd.isna(v) else f"{v:.4g}" if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3) else f"{v:.4f}"
        return str(v)

    cells = df.reset_index(drop=True).map(fmt) if not df.empty else df.astype(str)
    align = ["r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in df.columns]
    return Table(cells, title=title, footnotes=list(footnotes), align=align)


def render_table(table: Table | pd.DataFrame, fmt: str) -> str:
    """Render ``table`` (or a plain DataFrame) in ``fmt``: one of :data:`FORMATS`.

    ``rich`` returns the text the terminal would show (no colour codes); use :func:`rich_table` to print with
    styles.
    """
    t = table if isinstance(table, Table) else from_frame(table)
    if fmt == "markdown":
        return to_markdown(t)
    if fmt == "latex":
        return to_latex(t)
    if fmt == "csv":
        return to_csv(t)
    if fmt == "html":
        return to_html(t)
    if fmt == "rich":
        from rich.console import Console

        # the terminal's width ($COLUMNS, else 80 when not a terminal): split, never cut
        console = Console(record=True, file=io.StringIO(), color_system=None)
        for part in rich_tables(t, console.width):
            console.print(part)
        for note in t.footnotes:  # wrapped at spaces to the width, never cut
            console.print(note, markup=False, highlight=False)
        return console.export_text()
    raise ConfigError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def format_for_path(path: str) -> str:
    """The format implied by a file name's suffix (``.md``, ``.tex``, ``.csv``, ``.html``, ``.txt``)."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    by = {"md": "markdown", "markdown": "markdown", "tex": "latex", "csv": "csv", "html": "html", "htm": "html"}
    if suffix == "txt":
        return "rich"
    if suffix not in by:
        raise ConfigError(f"cannot tell the format of {path!r} from its suffix; use .md, .tex, .csv, .html or .txt")
    return by[suffix]


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def to_markdown(t: Table) -> str:
    """GitHub-flavoured Markdown; best in bold, second underlined with ``_..._``."""
    lines = []
    if t.title:
        lines += [f"**{_md_escape(t.title)}**", ""]
    header = [_md_escape(str(c)) for c in t.cells.columns]
    lines.append("| " + " | ".join(header) + " |")
    assert t.align is not None
    lines.append("|" + "|".join("---:" if a == "r" else ":---" for a in t.align) + "|")
    for row in t.styled_rows(_md_escape, "**{}**", "_{}_"):
        lines.append("| " + " | ".join(row) + " |")
    if t.footnotes:
        lines.append("")
        lines += [f"{_md_escape(n)}  " for n in t.footnotes]
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "Δ": r"$\Delta$",
}


def latex_escape(s: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in s)


def to_latex(t: Table) -> str:
    """A ``table`` float with a booktabs ``tabular``: best ``\\textbf``, second ``\\underline``.

    Needs ``\\usepackage{booktabs}`` in the preamble. Footnotes go under the tabular in ``\\footnotesize``.
    """
    assert t.align is not None
    out = ["\\begin{table}[t]", "\\centering"]
    if t.title:
        out.append(f"\\caption{{{latex_escape(t.title)}}}")
    out.append("\\begin{tabular}{" + "".join(t.align) + "}")
    out.append("\\toprule")
    out.append(" & ".join(latex_escape(str(c)) for c in t.cells.columns) + " \\\\")
    out.append("\\midrule")
    for row in t.styled_rows(latex_escape, "\\textbf{{{}}}", "\\underline{{{}}}"):
        out.append(" & ".join(row) + " \\\\")
    out.append("\\bottomrule")
    out.append("\\end{tabular}")
    if t.footnotes:
        out.append("\\par\\smallskip{\\footnotesize")
        out += [latex_escape(n) + "\\\\" for n in t.footnotes]
        out.append("}")
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def to_csv(t: Table, csv_marks: bool = False) -> str:
    """Plain CSV of the cells (footnotes are not written; marks only with ``csv_marks``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([str(c) for c in t.cells.columns])
    w.writerows(t.styled_rows(str, "{}*", "{}+") if csv_marks else t.styled_rows(str, "{}", "{}"))
    return buf.getvalue()


def to_html(t: Table) -> str:
    """A standalone ``<table>`` (with ``<caption>`` and a footnote list); best ``<b>``, second ``<u>``."""
    assert t.align is not None
    out = ["<table>"]
    if t.title:
        out.append(f"<caption>{html.escape(t.title)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in t.cells.columns) + "</tr></thead>")
    out.append("<tbody>")
    styles = [' style="text-align:right"' if a == "r" else "" for a in t.align]
    for row in t.styled_rows(html.escape, "<b>{}</b>", "<u>{}</u>"):
        out.append("<tr>" + "".join(f"<td{st}>{s}</td>" for st, s in zip(styles, row, strict=True)) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    if t.footnotes:
        out.append('<ol class="footnotes">' + "".join(f"<li>{html.escape(n)}</li>" for n in t.footnotes) + "</ol>")
    return "\n".join(out) + "\n"


def rich_table(
    t: Table,
    columns: Sequence[int] | None = None,
    title: str | None = None,
    width: int | None = None,
    fold: bool = False,
) -> RichTable:
    """A :class:`rich.table.Table` of ``columns`` (default: all) with best in bold and second underlined.

    With ``fold``, a header wider than its cells is folded at its spaces (``Set5`` over ``PSNR``); cells are
    never truncated.
    """
    assert t.align is not None
    cols = list(range(t.cells.shape[1])) if columns is None else list(columns)
    from rich.markup import escape

    caption = t.title if title is None else title
    # a title wider than its table would wrap to the table's width: the table is drawn at least as wide
    wide = min(len(caption), width) if caption and width else None
    rt = RichTable(
        title=escape(caption) if caption else None, title_justify="left", header_style="bold", min_width=wide
    )
    for j in cols:
        header = _header(t, j) if fold else str(t.cells.columns[j])
        rt.add_column(escape(header), justify="right" if t.align[j] == "r" else "left", overflow="fold")
    rows = t.styled_rows(lambda s: s.replace("[", "\\["), "[bold]{}[/bold]", "[underline]{}[/underline]")
    for row in rows:
        rt.add_row(*(row[j] for j in cols))
    return rt


def _header(t: Table, j: int) -> str:
    name = str(t.cells.columns[j])
    widest = max((len(v) for v in t.cells.iloc[:, j]), default=0)
    return name.replace(" ", "\n") if len(name) > widest and " " in name else name


def _width(t: Table, j: int, fold: bool = True) -> int:
    """Characters column ``j`` takes in a rich table: its widest cell or header line, padding and one rule."""
    header = _header(t, j) if fold else str(t.cells.columns[j])
    lines = [len(v) for v in t.cells.iloc[:, j]] + [len(x) for x in header.split("\n")]
    return max(lines) + 3


def fits(t: Table, width: int, columns: Sequence[int] | None = None) -> bool:
    """Whether ``t`` (or its ``columns``) fits ``width`` characters in one rich table with its headers on one
    line."""
    cols = range(t.cells.shape[1]) if columns is None else columns
    return 1 + sum(_width(t, j, fold=False) for j in cols) <= width


def column_groups(t: Table, width: int) -> list[list[int]]:
    """Column indices of each part when ``t`` is split to fit ``width`` characters, key columns in every part.

    Whole columns only: a cell is never cut. When the key columns and the widest other column do not fit
    together, only the first column is repeated; a column wider than the screen on its own still gets a part.
    """
    n = t.cells.shape[1]
    widths = [_width(t, j) for j in range(n)]
    if 1 + sum(widths) <= width or n <= 1:
        return [list(range(n))]
    keys = max(1, min(t.keys, n - 1))
    if 1 + sum(widths[:keys]) + max(widths[keys:]) > width:
        keys = 1
    # columns whose headers share a first word (``Set5 PSNR``, ``Set5 SSIM``) stay together when they fit a part
    blocks: list[list[int]] = []
    for j in range(keys, n):
        word = str(t.cells.columns[j]).split(" ")[0]
        if blocks and " " in str(t.cells.columns[j]) and str(t.cells.columns[blocks[-1][0]]).split(" ")[0] == word:
            blocks[-1].append(j)
        else:
            blocks.append([j])
    base = 1 + sum(widths[:keys])
    groups: list[list[int]] = []
    current: list[int] = []
    used = base
    for block in blocks:
        need = sum(widths[j] for j in block)
        if current and used + need > width and base + need <= width:
            groups.append(current)
            current, used = [], base
        for j in block:
            if current and used + widths[j] > width:
                groups.append(current)
                current, used = [], base
            current.append(j)
            used += widths[j]
    groups.append(current)
    return [list(range(keys)) + g for g in groups]


def rich_tables(t: Table, width: int) -> list[RichTable]:
    """``t`` as one rich table, or split into parts of whole columns that each fit ``width`` (titled 1/2, ...)."""
    if fits(t, width):
        return [rich_table(t, width=width)]
    groups = column_groups(t, width)
    if len(groups) == 1:
        return [rich_table(t, width=width, fold=True)]
    # a part whose headers fit on one line keeps them there
    return [
        rich_table(
            t, g, f"{t.title} ({i}/{len(groups)})" if t.title else f"({i}/{len(groups)})", width, not fits(t, width, g)
        )
        for i, g in enumerate(groups, 1)
    ]
