"""``eval --save-sr``: the scored SR images, scored again with ``--sr-dir``, give every metric exactly; and
``--sr-dir`` makes no LR it does not read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
from torch import Tensor

from srbench.data.datasets import Dataset, resolve_dataset
from srbench.data.imageio import read_image
from srbench.evaluate import EvalRequest, evaluate, method_stage
from srbench.methods import SrDirMethod
from srbench.methods.base import Method
from srbench.methods.classic import Bicubic
from srbench.protocol.imresize import imresize
from srbench.protocol.record import Protocol, get_protocol
from srbench.testing.cli import run_cli

METRICS = ("psnr", "ssim", "fsim", "vif")


class RgbBicubic(Method):
    """A stand-in for an RGB network: MATLAB bicubic upscaling of all three channels (test only)."""

    name = "rgb-bicubic"
    space = "rgb"

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return imresize(lr, scale, kernel="cubic", path="double")


def _scores(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.set_index(["dataset", "scale", "image"])[list(METRICS)].sort_index()


def _save_then_rescore(datasets: list[Dataset], tmp_path: Path, protocol: Protocol, scales: Sequence[int]) -> None:
    methods: list[Method] = [Bicubic(), RgbBicubic()]
    first = evaluate(EvalRequest(datasets, methods, scales, METRICS, protocol, save_sr=tmp_path / "sr")).rows
    for method in methods:
        for ds in datasets:
            for scale in scales:
                folder = tmp_path / "sr" / method.name / ds.name / f"x{scale}"
                manifest = json.loads((folder / "manifest.json").read_text())
                assert manifest["space"] == ("y" if method.space == "y" else "rgb")
                assert manifest["exact"] is True and sorted(manifest["files"]) == sorted(i.id for i in ds.images)
                saved = SrDirMethod(folder)
                assert saved.name == f"{method.name}-saved" and saved.space == manifest["space"]
                again = evaluate(EvalRequest([ds], [saved], [scale], METRICS, protocol)).rows
                want = first[(first.method == method.name) & (first.dataset == ds.name) & (first.scale == scale)]
                pd.testing.assert_frame_equal(_scores(again), _scores(want), check_exact=True)


def test_saved_sr_images_scored_again_give_every_metric_exactly(tmp_path: Path) -> None:
    """Demo set (colour and grayscale images): a luminance method (bicubic) and an RGB method."""
    _save_then_rescore([resolve_dataset("demo")], tmp_path, get_protocol("standard"), [4])


@pytest.mark.shared
def test_saved_sr_images_of_set5_and_set14_scored_again_give_every_metric_exactly(
    shared_datasets: Path, tmp_path: Path
) -> None:
    datasets = [resolve_dataset(n, shared_datasets) for n in ("set5", "set14")]
    _save_then_rescore(datasets, tmp_path, get_protocol("standard"), [4])


def test_saved_files_are_named_after_the_hr_images_and_hold_the_rounded_output(tmp_path: Path) -> None:
    ds = resolve_dataset("demo")
    evaluate(EvalRequest([ds], [RgbBicubic()], [4], ["psnr"], save_sr=tmp_path))
    folder = tmp_path / "rgb-bicubic" / "demo" / "x4"
    assert sorted(p.stem for p in folder.glob("*.png")) == sorted(i.id for i in ds.images)
    for entry in ds.images:
        hr = entry.load()
        sr = read_image(folder / f"{entry.id}.png")
        assert sr.ndim == hr.ndim and sr.shape[:2] == (hr.shape[0] // 4 * 4, hr.shape[1] // 4 * 4)


def test_save_sr_recomputes_groups_whose_images_are_missing_and_reuses_complete_ones(tmp_path: Path) -> None:
    ds = [resolve_dataset("demo")]
    out = tmp_path / "rows.csv"
    evaluate(EvalRequest(ds, [Bicubic()], [4], ["psnr"], output=out))  # scored before, without --save-sr
    first = evaluate(EvalRequest(ds, [Bicubic()], [4], ["psnr"], output=out, save_sr=tmp_path / "sr"))
    assert first.computed_groups == 1, "the images were not saved yet: the group is computed again"
    again = evaluate(EvalRequest(ds, [Bicubic()], [4], ["psnr"], output=out, save_sr=tmp_path / "sr"))
    assert again.reused_groups == 1 and again.computed_groups == 0


def test_eval_save_sr_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        ["eval", "-d", "demo", "-m", "bicubic", "--metric", "psnr", "--save-sr", str(tmp_path), "--no-progress"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "bicubic" / "demo" / "x4" / "manifest.json").is_file()


def test_sr_dir_makes_no_lr_and_scores_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ds = [resolve_dataset("demo")]
    evaluate(EvalRequest(ds, [RgbBicubic()], [4], ["psnr"], save_sr=tmp_path))
    folder = tmp_path / "rgb-bicubic" / "demo" / "x4"
    with monkeypatch.context() as m:
        m.setattr(SrDirMethod, "consumes_lr", True)  # as before: the HR degraded for nothing
        before = evaluate(EvalRequest(ds, [SrDirMethod(folder)], [4], list(METRICS))).rows

    def no_lr(*args: object, **kwargs: object) -> Tensor:
        raise AssertionError("--sr-dir made an LR image")

    monkeypatch.setattr(method_stage, "method_input", no_lr)
    after = evaluate(EvalRequest(ds, [SrDirMethod(folder)], [4], list(METRICS))).rows
    pd.testing.assert_frame_equal(_scores(after), _scores(before), check_exact=True)
