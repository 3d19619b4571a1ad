"""Column budgets: read from each method's provenance, printed under every table, pairs compared field by field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from srbench.report.budgets import budget_notes, budget_of, column_budgets
from srbench.report.paper import paper_table, published_vs_reproduced

RowsFactory = Callable[..., pd.DataFrame]


def _meta(loss: str, **over: Any) -> dict[str, Any]:
    meta = {
        "amp": "off",
        "batch_size": 4,
        "crop": 96,
        "data": ["/somewhere/datasets/bsds200"],
        "degradation": "blur-bicubic@1",
        "device": "cpu (x86_64, 1 threads)",
        "iterations": 5000,
        "loss": {"type": loss, "tv_weight": 2e-6 if loss == "pixel" else 2e-3},
        "optimizer": {"lr": 0.001, "name": "adam"},
        "training_images": 200,
    }
    meta.update(over)
    return meta


def _matched(name: str, meta: dict[str, Any]) -> dict[str, Any]:
    inner = {"metadata": meta, "name": name, "weights_sha256": "0" * 64}
    return {"name": f"{name}+histmatch", "method": inner, "postprocess": "histmatch-to-lr@1 (per channel)"}


def test_a_trained_column_states_iterations_crop_batch_data_precision_hardware_and_post_process() -> None:
    text = budget_of(_matched("johnson-x4-pixel", _meta("pixel"))).text
    for words in (
        "5,000 iterations",
        "crop 96",
        "batch 4",
        "bsds200 (200 images)",
        "float32",
        "CPU (x86_64, 1 thread)",
        "histogram-matched to the LR input",
    ):
        assert words in text


def test_bf16_and_fp16_vgg_weights_are_named() -> None:
    meta = _meta("feature", amp="bfloat16", device="cuda (NVIDIA H100)")
    meta["loss"]["loss_network_file"] = ".gpu_data/vgg16_fp16.pth"
    text = budget_of({"metadata": meta, "name": "x"}).text
    assert "bfloat16 autocast" in text and "rounded to fp16" in text and "GPU (NVIDIA H100)" in text


def test_released_weights_and_fixed_methods_say_so() -> None:
    assert "authors' released weights" in budget_of({"name": "srcnn", "variant": "9-5-5", "weights_sha256": "a"}).text
    assert budget_of({"impl": "matlab-imresize-cubic-double", "name": "bicubic"}).text.startswith("no training")


def test_a_pair_with_one_budget_is_said_to_share_it() -> None:
    budgets = {"l_pixel": budget_of({"metadata": _meta("pixel")}), "l_feat": budget_of({"metadata": _meta("feature")})}
    assert "share one budget" in budget_notes(budgets)[-1]


def test_a_pair_with_unequal_budgets_names_the_fields_that_differ() -> None:
    budgets = {
        "l_pixel": budget_of({"metadata": _meta("pixel")}),
        "l_feat": budget_of({"metadata": _meta("feature", iterations=28000, crop=288, amp="bfloat16")}),
    }
    last = budget_notes(budgets)[-1]
    assert "do NOT share a budget" in last
    for field in ("iterations", "crop", "amp"):
        assert field in last


def _with_provenance(rows: pd.DataFrame, provenance: dict[str, dict[str, Any]]) -> pd.DataFrame:
    rows = rows.copy()
    for method, prov in provenance.items():
        rows.loc[rows["method"] == method, "method_provenance"] = json.dumps(prov)
    return rows


def test_paper_tables_print_every_columns_budget(rows_factory: RowsFactory) -> None:
    names = {"l_pixel": "johnson-x4-pixel+histmatch", "l_feat": "johnson-x4-feature+histmatch"}
    rows = rows_factory({"bicubic": 0.0, names["l_pixel"]: 0.5, names["l_feat"]: -1.0})
    rows = _with_provenance(
        rows,
        {
            names["l_pixel"]: _matched("johnson-x4-pixel", _meta("pixel")),
            names["l_feat"]: _matched("johnson-x4-feature", _meta("feature")),
            "bicubic": {"impl": "matlab-imresize-cubic-double", "name": "bicubic"},
        },
    )
    assert set(column_budgets(rows, names)) == {"l_pixel", "l_feat"}
    for table in (paper_table(rows, 4), published_vs_reproduced(rows, 4)):
        foot = " ".join(table.footnotes)
        assert "l_pixel: trained by srbench: 5,000 iterations" in foot
        assert "Bicubic: no training" in foot
        assert "share one budget" in foot
        assert "The paper's networks: 200,000 iterations" in foot
