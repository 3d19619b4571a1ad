"""One definition per metric name: results recorded under another definition of a name are never reused.

Each result row records every metric's settings (``metric_settings``); a re-run with the same ``--output`` (or
result store) recomputes a metric whose recorded settings differ from the definition now registered under its
name (for instance ``fsim`` values stored before ``fsim`` became ``FeatureSIM.m``'s pooling).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from skimage import data

from srbench.data.datasets import resolve_dataset
from srbench.data.imageio import write_image
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.metrics import METRICS
from srbench.results.store import ResultStore
from srbench.results.table import redefined_metrics


def test_every_registered_name_has_its_own_settings() -> None:
    names = METRICS.names()
    assert {"psnr", "psnr-rgb", "ssim", "fsim", "fsim-piq", "fsimc", "vif", "vif-wavelet"} <= set(names)
    settings = [json.dumps(dict(METRICS.get(n).settings), sort_keys=True) for n in names]
    assert len(set(settings)) == len(names)


@pytest.mark.parametrize("where", ["output", "store"])
def test_values_of_an_older_definition_of_a_name_are_recomputed(tmp_path: Path, where: str) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    write_image(folder / "cam.png", data.camera()[100:212, 100:228])
    out, store_root = tmp_path / "r.csv", tmp_path / "store"

    def run() -> tuple[pd.DataFrame, int]:
        kwargs: dict[str, Any] = {"output": out} if where == "output" else {"store": ResultStore(store_root)}
        dataset, method = resolve_dataset(str(folder), None), resolve_method("bicubic")
        res = evaluate(EvalRequest([dataset], [method], [4], ["psnr", "fsim"], **kwargs))
        return res.rows, res.computed_groups

    first, computed = run()
    assert computed == 1
    assert run()[1] == 0  # same definitions: reused
    files = [out] if where == "output" else list((store_root / "groups").rglob("*.csv"))
    for f in files:  # pretend the fsim values were made under another definition of the name
        df = pd.read_csv(f)
        old = json.loads(df["metric_settings"].iloc[0])
        old["fsim"]["downsampling"] = "avg_pool2d F x F, F = max(1, round(min(H, W) / 256)), Python round"
        df["metric_settings"] = json.dumps(old, sort_keys=True)
        df["fsim"] = 0.5
        assert redefined_metrics(df, ["psnr", "fsim"]) == ["fsim"]
        df.to_csv(f, index=False, float_format="%.17g")
    again, computed = run()
    assert computed == 1
    assert again["fsim"].item() == first["fsim"].item()
