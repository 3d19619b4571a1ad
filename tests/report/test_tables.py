"""Leaderboard and paper tables: every cell equals the mean of the per-image rows it comes from."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from srbench.errors import ConfigError, DataError
from srbench.report.formats import render_table
from srbench.report.layouts import report_tables
from srbench.report.leaderboard import leaderboard, rank_marks
from srbench.report.paper import paper_table, published_vs_reproduced
from srbench.report.published import footnotes, published
from srbench.report.select import guard_protocols, latest_groups, select_rows

RowsFactory = Callable[..., pd.DataFrame]

METRICS4 = ["psnr", "ssim", "fsim", "vif"]
DIGITS = {"psnr": 2, "ssim": 4, "fsim": 4, "vif": 4}


def _mean(rows: pd.DataFrame, method: str, dataset: str, metric: str) -> float:
    vals = rows[(rows["method"] == method) & (rows["dataset"] == dataset)][metric].to_numpy(dtype=np.float64)
    return float(np.sum(vals) / len(vals))


def test_leaderboard_cells_are_means_of_the_per_image_rows(rows_factory: RowsFactory) -> None:
    rows = rows_factory({"bicubic": 0.0, "a": 1.0, "b": -1.0})
    t = leaderboard(rows, METRICS4, 4)
    for i, method in enumerate(t.cells["Method"]):
        for ds, title in (("set5", "Set5"), ("set14", "Set14"), ("bsd100", "BSD100")):
            for m in METRICS4:
                cell = t.cells.at[i, f"{title} {m.upper()}"]
                assert cell == f"{_mean(rows, method, ds, m):.{DIGITS[m]}f}"


def test_leaderboard_marks_best_and_second_per_column_and_sorts(rows_factory: RowsFactory) -> None:
    rows = rows_factory({"low": -3.0, "high": 3.0, "mid": 0.0})
    t = leaderboard(rows, ["psnr"], 4)
    assert list(t.cells["Method"]) == ["high", "mid", "low"]  # default sort: Set5 PSNR, best first
    assert list(t.marks["Set5 PSNR"]) == ["best", "second", ""]  # type: ignore[index]
    by_low = leaderboard(rows, ["psnr"], 4, sort="set14:psnr")
    assert by_low.cells.at[0, "Method"] == "high"


def test_rank_marks_on_printed_values_with_ties_and_direction() -> None:
    assert rank_marks([1.0, 3.0, 2.0], higher_is_better=True) == ["", "best", "second"]
    assert rank_marks([1.0, 3.0, 2.0], higher_is_better=False) == ["best", "", "second"]
    assert rank_marks([3.0, 3.0, 2.0], higher_is_better=True) == ["best", "best", "second"]
    assert rank_marks([3.0, float("nan")], higher_is_better=True) == ["", ""]


def test_mixed_protocols_get_a_table_each_or_are_refused_by_the_guard_with_the_difference_named(
    rows_factory: RowsFactory,
) -> None:
    rows = pd.concat(
        [
            rows_factory({"bicubic": 0.0}),
            rows_factory({"mine": 1.0}, protocol="blur-bicubic", protocol_key="p2", degradation="blur-bicubic"),
        ]
    )
    with pytest.raises(DataError) as exc:
        guard_protocols(rows)
    msg = str(exc.value)
    assert "standard" in msg and "blur-bicubic" in msg and "degradation: bicubic vs blur-bicubic" in msg
    assert "--side-by-side" in msg and "\n" not in msg
    per_protocol = report_tables(rows)
    # the protocol with most rows first, ties by name
    assert [t.title for t in per_protocol] == ["x4, protocol blur-bicubic [p2]", "x4, protocol standard [p1]"]
    assert [list(t.cells["Method"]) for t in per_protocol] == [["mine"], ["bicubic"]]
    side = guard_protocols(rows, side_by_side=True)
    assert set(side["method"]) == {"bicubic [standard]", "mine [blur-bicubic]"}
    tables = report_tables(rows, side_by_side=True)
    assert len(tables[0].cells) == 2
    only = report_tables(rows, protocol="blur-bicubic")
    assert list(only[0].cells["Method"]) == ["mine"]


def test_different_copies_of_a_dataset_are_refused(rows_factory: RowsFactory) -> None:
    a = rows_factory({"a": 0.0})
    b = rows_factory({"b": 0.0})
    b.loc[b["dataset"] == "set5", "dataset_checksum"] = "other"
    with pytest.raises(DataError, match="different copies"):
        guard_protocols(pd.concat([a, b]))


def test_newest_evaluation_of_a_method_supersedes_older_ones(rows_factory: RowsFactory) -> None:
    old = rows_factory({"a": 0.0}, created="2026-01-01T00:00:00+00:00", method_key="old")
    new = rows_factory({"a": 5.0}, created="2026-02-01T00:00:00+00:00", method_key="new")
    kept, notes = latest_groups(pd.concat([old, new]))
    assert set(kept["method_key"]) == {"new-a"} and len(kept) == len(new)
    assert len(notes) == 3 and "superseded" in notes[0]


def test_two_weights_under_one_name_are_never_superseded_and_keep_their_own_means(
    rows_factory: RowsFactory,
) -> None:
    old = rows_factory({"net": 0.0}, created="2026-01-01T00:00:00+00:00", method_key="old")
    new = rows_factory({"net": 5.0}, created="2026-02-01T00:00:00+00:00", method_key="new", seed=1)
    old["method_provenance"] = '{"weights_sha256": "aaaaaaaabbbb"}'
    new["method_provenance"] = '{"weights_sha256": "ccccccccdddd"}'
    kept, notes = latest_groups(pd.concat([old, new]))
    assert len(kept) == len(old) + len(new)
    assert set(kept["method"]) == {"net", "net-aaaaaaaa"} and "kept apart" in notes[0]
    (table,) = report_tables(pd.concat([old, new]), metrics=["psnr"])
    cells = table.cells.set_index("Method")
    for name, part in (("net", new), ("net-aaaaaaaa", old)):
        expected = part[part["dataset"] == "set5"]["psnr"].mean()
        assert cells.at[name, "Set5 PSNR"] == f"{expected:.2f}"


def test_an_alias_selects_and_labels_rows_under_the_canonical_name(rows_factory: RowsFactory) -> None:
    rows = pd.concat([rows_factory({"srcnn": 2.0}), rows_factory({"bicubic": 0.0})])
    (table,) = report_tables(rows, methods=["srcnn"], metrics=["psnr"])
    assert list(table.cells["Method"]) == ["srcnn-955-imagenet-x4"]


def test_unknown_names_list_what_the_store_holds(rows_factory: RowsFactory) -> None:
    rows = rows_factory({"bicubic": 0.0})
    with pytest.raises(ConfigError, match="it holds: bicubic"):
        select_rows(rows, methods=["srcnn"])
    with pytest.raises(ConfigError, match="it holds: bsd100, set14, set5"):
        select_rows(rows, datasets=["urban100"])
    with pytest.raises(ConfigError, match="scales: 4"):
        select_rows(rows, scales=[8])


def _paper_rows(rows_factory: RowsFactory) -> pd.DataFrame:
    return rows_factory(
        {
            "bicubic": 0.0,
            "johnson-x4-pixel+histmatch": 0.5,
            "srcnn-955-imagenet-x4": 2.0,
            "johnson-x4-feature+histmatch": -1.0,
        }
    )


def test_paper_table_cells_come_from_the_rows(rows_factory: RowsFactory) -> None:
    rows = _paper_rows(rows_factory)
    t = paper_table(rows, 4)
    assert list(t.cells["Data"]) == ["Set5", "Set14", "BSD100", "Set5 baby", "Set14 comic"]
    roles = {"Bicubic": "bicubic", "l_pixel": "johnson-x4-pixel+histmatch", "SRCNN": "srcnn-955-imagenet-x4"}
    for role, method in roles.items():
        assert t.cells.at[1, f"{role} PSNR"] == f"{_mean(rows, method, 'set14', 'psnr'):.2f}"
        baby = rows[(rows["method"] == method) & (rows["image"] == "baby")]["ssim"].item()
        assert t.cells.at[3, f"{role} SSIM"] == f"{baby:.4f}"
    # SRCNN has the largest offset: best PSNR on every mean row
    assert t.marks.at[0, "SRCNN PSNR"] == "best"  # type: ignore[union-attr]
    tex = render_table(t, "latex")
    assert len(tex.split("\\midrule\n", 1)[1].split("\\bottomrule")[0].strip().splitlines()) == 5


def test_published_vs_reproduced_prints_paper_ours_and_difference(rows_factory: RowsFactory) -> None:
    rows = _paper_rows(rows_factory)
    t = published_vs_reproduced(rows, 4)
    pub = published()
    pub4 = pub[pub["scale"] == 4].reset_index(drop=True)
    assert len(t.cells) == len(pub4)
    for i, p in pub4.iterrows():
        method = {
            "Bicubic": "bicubic",
            "l_pixel": "johnson-x4-pixel+histmatch",
            "SRCNN": "srcnn-955-imagenet-x4",
            "l_feat": "johnson-x4-feature+histmatch",
        }[p["role"]]
        if p["image"]:
            ours = rows[(rows["method"] == method) & (rows["image"] == p["image"])]["psnr"].item()
        else:
            ours = _mean(rows, method, p["dataset"], "psnr")
        assert t.cells.at[i, "Paper PSNR"] == f"{p['psnr']:.2f}"
        assert t.cells.at[i, "Ours PSNR"] == f"{ours:.2f}"
        assert t.cells.at[i, "Δ PSNR"] == f"{round(ours, 2) - p['psnr']:+.2f}"
    # every footnote referenced in the table is printed, numbered in order of first use
    texts = footnotes()
    refs = [r for cell in t.cells["Notes"] for r in cell.split(",") if r]
    assert sorted(set(refs), key=int) == [str(i + 1) for i in range(len(set(refs)))]
    assert any(texts["lfeat-typo"] in f for f in t.footnotes)


def test_x8_paper_table_marks_the_unresolved_protocol(rows_factory: RowsFactory) -> None:
    rows = rows_factory({"bicubic": 0.0, "johnson-x8-pixel+histmatch": 1.0}, scale=8)
    t = published_vs_reproduced(rows, 8)
    assert all(n == "1" for n in t.cells["Notes"])
    assert "x8 protocol is unresolved" in t.footnotes[0]
    p = paper_table(rows, 8)
    assert "SRCNN: no results for srcnn-x8" in " ".join(p.footnotes)
