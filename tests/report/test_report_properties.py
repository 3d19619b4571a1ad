"""Property: every store gives a table or a one-line error, in every report command, layout and format.

Stores are generated at random (hypothesis): methods missing on some datasets, scales or metrics, single rows,
aliases of one method, two weights files under one name, several protocols. Every cell printed is checked
against the mean of the rows it stands for.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from srbench.commands.report_extras import chart_command, compare_command
from srbench.errors import SrbenchError
from srbench.protocol.record import PROTOCOLS
from srbench.report.formats import FORMATS, render_table
from srbench.report.layouts import LAYOUTS, report_tables
from srbench.report.leaderboard import dataset_title
from srbench.report.select import latest_groups, prepare_rows

METHODS = ("bicubic", "nearest", "srcnn", "srcnn-955-imagenet-x4", "johnson-x4-pixel", "johnson-x4-feature", "mine")
DATASETS = {"set5": ("baby", "bird", "head"), "set14": ("comic", "lenna"), "bsd100": ("3096",), "demo": ("cat",)}
PROTOCOL_RECORDS = {
    "standard": PROTOCOLS["standard"],
    "lr-dir": PROTOCOLS["standard"].replace(degradation="given", lr_source="/lr/{dataset}_x{scale}"),
    "rcan-shave0": PROTOCOLS["rcan"].replace(shave=0),
}
METRIC_NAMES = ("psnr", "ssim", "fsim", "vif")

group_strategy = st.fixed_dictionaries(
    {
        "method": st.sampled_from(METHODS),
        "weights": st.sampled_from(("", "", "aaaa1111", "bbbb2222")),
        "dataset": st.sampled_from(sorted(DATASETS)),
        "scale": st.sampled_from((2, 4, 8)),
        "protocol": st.sampled_from(sorted(PROTOCOL_RECORDS)),
        "metrics": st.sets(st.sampled_from(METRIC_NAMES), min_size=1),
        "images": st.integers(1, 3),
        "created": st.integers(0, 3),
        "seed": st.integers(0, 1000),
    }
)


def make_store_rows(groups: list[dict[str, object]]) -> pd.DataFrame:
    """One row per image of every generated group, with every column srbench writes."""
    recs = []
    for g in groups:
        proto = PROTOCOL_RECORDS[str(g["protocol"])]
        rng = np.random.default_rng(int(g["seed"]))  # type: ignore[call-overload]
        prov = {"name": g["method"], **({"weights_sha256": g["weights"]} if g["weights"] else {})}
        ids = DATASETS[str(g["dataset"])][: int(g["images"])]  # type: ignore[call-overload]
        for image in ids:
            rec: dict[str, object] = {
                "dataset": g["dataset"],
                "scale": g["scale"],
                "method": g["method"],
                "image": image,
                "method_key": f"key-{g['method']}-{g['weights']}",
                "method_provenance": json.dumps(prov),
                "dataset_checksum": f"sum-{g['dataset']}",
                "protocol_name": proto.name,
                "protocol_key": proto.key(),
                "protocol": proto.to_json(),
                "created": f"2026-01-0{int(g['created']) + 1}T00:00:00+00:00",  # type: ignore[call-overload]
            }
            for m in METRIC_NAMES:
                base = 25.0 if m == "psnr" else 0.5
                rec[m] = base + float(rng.normal(0, 1)) if m in g["metrics"] else float("nan")  # type: ignore[operator]
            recs.append(rec)
    rows = pd.DataFrame.from_records(recs)
    # one group file per (method, method key, dataset, scale, protocol): the last generated one wins, as in the store
    return rows.drop_duplicates(["method", "method_key", "dataset", "scale", "protocol_key", "image"], keep="last")


stores = st.lists(group_strategy, min_size=1, max_size=8).map(make_store_rows)


def _one_line(exc: SrbenchError) -> None:
    assert "\n" not in str(exc) and str(exc).strip()


def _check_leaderboard_cells(rows: pd.DataFrame, table_title: str, cells: pd.DataFrame, picked: str | None) -> None:
    """Every printed PSNR equals the rounded mean of the rows it stands for (one method, dataset, scale)."""
    # as the report does: select the protocol first, then keep the newest group per method and weights
    kept, _ = latest_groups(prepare_rows(rows if picked is None else rows[rows["protocol_key"] == picked]))
    scale = int(table_title.split(",")[0].lstrip("x"))
    proto = table_title.partition("[")[2].partition("]")[0] if "protocol" in table_title else picked
    at = kept[kept["scale"] == scale]
    if proto:
        at = at[at["protocol_key"] == proto]
    for col in (c for c in cells.columns if c.endswith(" PSNR")):
        ds = next(d for d in DATASETS if dataset_title(d) == col[: -len(" PSNR")])
        for method, text in zip(cells["Method"], cells[col], strict=True):
            sel = at[(at["method"] == method) & (at["dataset"] == ds)]["psnr"]
            if text == "-":
                assert sel.empty or sel.isna().any()
            else:
                assert text == f"{round(sel.mean(), 2):.2f}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=stores, layout=st.sampled_from(LAYOUTS), side_by_side=st.booleans(), pick=st.booleans())
def test_every_layout_and_format_gives_tables_or_a_one_line_error(
    rows: pd.DataFrame, layout: str, side_by_side: bool, pick: bool
) -> None:
    protocol = str(rows["protocol_key"].iloc[0]) if pick else None
    try:
        tables = report_tables(rows, layout, side_by_side=side_by_side, protocol=protocol)
    except SrbenchError as exc:
        _one_line(exc)
        assert layout != "leaderboard", f"the leaderboard must always give a table: {exc}"
        return
    assert tables
    for t in tables:
        for fmt in FORMATS:
            assert render_table(t, fmt)
        if layout == "leaderboard" and not side_by_side:
            _check_leaderboard_cells(rows, t.title, t.cells, protocol)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=stores, named=st.booleans(), fmt=st.sampled_from(FORMATS))
def test_compare_gives_tables_or_a_one_line_error(rows: pd.DataFrame, named: bool, fmt: str) -> None:
    methods = list(dict.fromkeys(rows["method"]))[:2] if named else None
    try:
        text = compare_command(rows, methods, None, None, "psnr", fmt, n_boot=200)
    except SrbenchError as exc:
        _one_line(exc)
        return
    assert text.strip()


@pytest.fixture(scope="module")
def chart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("charts")


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(rows=stores)
def test_chart_writes_one_chart_per_protocol_or_gives_a_one_line_error(rows: pd.DataFrame, chart_dir: Path) -> None:
    scale = int(rows["scale"].iloc[0])
    try:
        text = chart_command(rows, "psnr", chart_dir / "c", scale=scale)
    except SrbenchError as exc:
        _one_line(exc)
        return
    assert text.count("wrote") == rows[rows["scale"] == scale]["protocol_key"].nunique()
