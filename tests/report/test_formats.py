"""Table rendering: LaTeX compiles structurally, every format shows the same cells and marks."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from srbench.errors import ConfigError
from srbench.report.formats import FORMATS, Table, format_for_path, latex_escape, render_table


def _table() -> Table:
    cells = pd.DataFrame({"Method": ["l_pixel", "50% & #1", "c"], "PSNR": ["28.40", "27.10", "26.00"]})
    marks = pd.DataFrame({"Method": ["", "", ""], "PSNR": ["best", "second", ""]})
    return Table(cells, marks=marks, title="x4 {test}", footnotes=["[1] a_b note"])


def _latex_body_rows(tex: str) -> list[str]:
    body = tex.split("\\midrule\n", 1)[1].split("\\bottomrule", 1)[0]
    return [line for line in body.splitlines() if line.strip()]


def test_latex_is_structurally_valid_booktabs() -> None:
    tex = render_table(_table(), "latex")
    assert tex.count("{") - tex.count("\\{") == tex.count("}") - tex.count("\\}")  # balanced groups
    assert re.findall(r"\\begin\{(\w+)\}", tex) == ["table", "tabular"]
    assert re.findall(r"\\end\{(\w+)\}", tex) == ["tabular", "table"]
    assert tex.index("\\toprule") < tex.index("\\midrule") < tex.index("\\bottomrule")
    rows = _latex_body_rows(tex)
    assert len(rows) == 3  # one row per method
    ncols = len(re.search(r"\\begin\{tabular\}\{(\w+)\}", tex).group(1))  # type: ignore[union-attr]
    assert all(r.endswith("\\\\") and r.count(" & ") == ncols - 1 for r in rows)
    assert "\\textbf{28.40}" in rows[0] and "\\underline{27.10}" in rows[1]
    assert "l\\_pixel" in rows[0] and "50\\% \\& \\#1" in rows[1]


def test_latex_escape_covers_every_special_character() -> None:
    assert latex_escape("a_b%c&d#e$f{g}h~i^j\\k") == (
        "a\\_b\\%c\\&d\\#e\\$f\\{g\\}h\\textasciitilde{}i\\textasciicircum{}j\\textbackslash{}k"
    )


def test_markdown_has_one_line_per_row_with_marks() -> None:
    md = render_table(_table(), "markdown")
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(lines) == 2 + 3
    assert "**28.40**" in lines[2] and "_27.10_" in lines[3]
    assert "[1] a_b note" in md


def test_csv_round_trips_the_cells() -> None:
    t = _table()
    back = pd.read_csv(io.StringIO(render_table(t, "csv")), dtype=str)
    pd.testing.assert_frame_equal(back, t.cells)


class _TagCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        self.stack.append(tag)
        self.rows += tag == "tr"

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def test_html_tags_are_balanced_and_escaped() -> None:
    html = render_table(_table(), "html")
    p = _TagCheck()
    p.feed(html)
    assert p.stack == [] and p.rows == 4
    assert "50% &amp; #1" in html and "<b>28.40</b>" in html and "<u>27.10</u>" in html


def test_rich_text_shows_every_cell() -> None:
    text = render_table(_table(), "rich")
    for cell in ("l_pixel", "28.40", "27.10", "26.00", "[1] a_b note"):
        assert cell in text


def test_unknown_format_and_suffix_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="use one of"):
        render_table(_table(), "docx")
    with pytest.raises(ConfigError, match=r"\.md, \.tex"):
        format_for_path("table.docx")
    assert [format_for_path(f"t.{s}") for s in ("md", "tex", "csv", "html", "txt")] == [
        "markdown",
        "latex",
        "csv",
        "html",
        "rich",
    ]
    assert set(FORMATS) == {"rich", "markdown", "latex", "csv", "html"}


def test_a_split_part_whose_headers_fit_keeps_them_on_one_line() -> None:
    """At 80 columns ``srbench eval``'s means split in two; the second part (one metric) has room for its header,
    which must not be folded into three lines (seen in the user check of 2026-12-05)."""
    from rich.console import Console

    from srbench.report.formats import rich_tables

    cells = pd.DataFrame(
        {
            "Dataset": ["set5"],
            "Scale": ["x8"],
            "Method": ["johnson-x8-feature+histmatch"],
            "PSNR (dB)": ["23.67"],
            "SSIM": ["0.6275"],
            "FSIM (Y)": ["0.7917"],
            "VIFp (pixel domain)": ["0.2092"],
        }
    )
    t = Table(cells, title="Protocol standard [de7ce04fb85dd88e], Y channel", align=["l", "r", "l"] + ["r"] * 4, keys=3)
    parts = rich_tables(t, 80)
    assert len(parts) == 2
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(parts[1])
    text = out.getvalue()
    assert "VIFp (pixel domain)" in text
    assert all(len(line) <= 80 for line in text.splitlines())
