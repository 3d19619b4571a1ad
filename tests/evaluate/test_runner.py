"""``evaluate``: the result CSV, result reuse, crash safety, batching invariance, SR folders and error paths.

No shared data: the embedded ``demo`` set (scikit-image samples) and small folders written to ``tmp_path``.
Numbers are checked against the numpy reference (``bicubic_scores_np``, ``imresize_np``, ``psnr_np``,
``ssim_skimage``) and scikit-image's ``rgb2ycbcr``, never only against srbench itself.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skimage.data
import torch
from numpy.testing import assert_array_equal
from PIL import Image
from skimage.color import rgb2ycbcr
from torch import Tensor

from srbench.data.datasets import folder_dataset, resolve_dataset
from srbench.errors import ConfigError, DataError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import SrDirMethod, resolve_method
from srbench.methods.base import Method
from srbench.metrics import METRICS
from srbench.protocol.record import Protocol
from srbench.results.table import read_results
from srbench.testing.numpy_reference import bicubic_scores_np, imresize_np, psnr_np, ssim_skimage

METRICS_FAST = ("psnr", "ssim")

# --- helpers ------------------------------------------------------------------------------------------------


def _has_y_ties(rgb: np.ndarray) -> bool:
    """Does the image hold a colour whose exact BT.601 Y is k + 0.5 (where Y roundings may differ)?"""
    if rgb.ndim == 2:
        return False
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return bool((((65481 * r + 128553 * g + 24966 * b) % 255000) == 127500).any())


def _y_ref(img: np.ndarray) -> np.ndarray:
    """Rounded BT.601 Y from scikit-image (gray images: the gray value, 'as-y')."""
    if img.ndim == 2:
        return img.astype(np.float64)
    return np.floor(rgb2ycbcr(img)[..., 0] + 0.5)


def _crop(name: str, top: int, left: int, h: int, w: int) -> np.ndarray:
    return np.ascontiguousarray(getattr(skimage.data, name)()[top : top + h, left : left + w])


def _write(folder: Path, images: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in images.items():
        Image.fromarray(arr).save(folder / f"{name}.png")
    return folder


def _row(rows: pd.DataFrame, image: str, **where: object) -> pd.Series:
    sel = rows[rows["image"] == image]
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (image, where, len(sel))
    return sel.iloc[0]


def _assert_matches_reference(rows: pd.DataFrame, images: dict[str, np.ndarray], scale: int) -> None:
    for image_id, hr in images.items():
        ref = bicubic_scores_np(hr, scale)
        row = _row(rows, image_id, scale=scale)
        tol_p, tol_s = (1e-4, 1e-5) if _has_y_ties(hr) else (1e-9, 1e-9)  # see test_literature_numbers
        assert abs(row["psnr"] - ref["psnr"]) < tol_p, image_id
        assert abs(row["ssim"] - ref["ssim"]) < tol_s, image_id


@pytest.fixture(scope="module")
def demo_images() -> dict[str, np.ndarray]:
    ds = resolve_dataset("demo", None)
    return {img.id: img.load() for img in ds.images}


# --- the CSV ----------------------------------------------------------------------------------------------------


def test_csv_has_one_row_per_image_with_protocol_and_keys(tmp_path: Path, demo_images: dict[str, np.ndarray]) -> None:
    ds = resolve_dataset("demo", None)
    method = resolve_method("bicubic")
    out = tmp_path / "results.csv"
    result = evaluate(EvalRequest([ds], [method], scales=(4,), metrics=METRICS_FAST, output=out))
    assert result.computed_groups == 1 and result.reused_groups == 0
    df = pd.read_csv(out, dtype={"image": str, "protocol_key": str, "method_key": str, "dataset_checksum": str})
    assert len(df) == len(ds) == 5
    assert sorted(df["image"]) == sorted(demo_images)
    for col in ("dataset", "scale", "method", "image", "psnr", "ssim", "fsim", "vif", "protocol", "protocol_key",
                "method_key", "dataset_checksum"):  # fmt: skip
        assert col in df.columns, col
    assert set(df["dataset"]) == {"demo"} and set(df["scale"]) == {4} and set(df["method"]) == {"bicubic"}
    assert df["fsim"].isna().all() and df["vif"].isna().all()  # not requested
    assert df[["psnr", "ssim"]].notna().all().all()
    for text in df["protocol"]:
        assert Protocol.from_json(text) == Protocol()
    assert set(df["protocol_key"]) == {Protocol().key()}
    assert set(df["method_key"]) == {method.key()}
    assert set(df["dataset_checksum"]) == {ds.checksum}
    assert read_results(out).shape == df.shape
    # the CSV holds 17 significant digits: it reads back bit-identical to the values the run returned
    merged = df.merge(result.rows, on="image", suffixes=("", "_run"))
    assert_array_equal(merged["psnr"], merged["psnr_run"])
    assert_array_equal(merged["ssim"], merged["ssim_run"])
    # the numbers themselves, against the numpy reference
    _assert_matches_reference(result.rows, demo_images, 4)
    assert bool(df.loc[df["image"] == "camera", "gray"].iloc[0]) is True


def test_rerun_with_the_same_output_reuses_every_group(tmp_path: Path) -> None:
    ds = resolve_dataset("demo", None)
    methods = [resolve_method("bicubic"), resolve_method("nearest")]
    out = tmp_path / "results.csv"
    first = evaluate(EvalRequest([ds], methods, scales=(4,), metrics=METRICS_FAST, output=out))
    assert (first.computed_groups, first.reused_groups) == (2, 0)
    second = evaluate(EvalRequest([ds], methods, scales=(4,), metrics=METRICS_FAST, output=out))
    assert (second.computed_groups, second.reused_groups) == (0, 2)
    key = ["method", "image"]
    a = first.rows.sort_values(key).reset_index(drop=True)
    b = second.rows.sort_values(key).reset_index(drop=True)
    assert list(a["image"]) == list(b["image"])
    # reused values come from the CSV (17 significant digits): bit-identical to the first run's
    assert_array_equal(b[["psnr", "ssim"]].to_numpy(), a[["psnr", "ssim"]].to_numpy())
    third = evaluate(EvalRequest([ds], methods, scales=(4,), metrics=METRICS_FAST, output=out))
    c = third.rows.sort_values(key).reset_index(drop=True)
    assert third.reused_groups == 2
    assert_array_equal(c[["psnr", "ssim"]].to_numpy(), b[["psnr", "ssim"]].to_numpy())
    assert len(pd.read_csv(out)) == 10  # nothing duplicated


def test_changing_the_protocol_recomputes(tmp_path: Path) -> None:
    ds = resolve_dataset("demo", None)
    out = tmp_path / "results.csv"
    method = resolve_method("bicubic")
    evaluate(EvalRequest([ds], [method], scales=(4,), metrics=METRICS_FAST, output=out))
    float_y = Protocol(y_rounding="float")
    assert float_y.key() != Protocol().key()
    again = evaluate(EvalRequest([ds], [method], scales=(4,), metrics=METRICS_FAST, protocol=float_y, output=out))
    assert (again.computed_groups, again.reused_groups) == (1, 0)
    assert set(again.rows["protocol_key"]) == {float_y.key()}
    df = read_results(out)
    assert len(df) == 10 and set(df["protocol_key"]) == {Protocol().key(), float_y.key()}
    # and the float-Y numbers are indeed different (conventions 2.2: float Y scores a little higher)
    rounded = df[df["protocol_key"] == Protocol().key()].set_index("image")["psnr"]
    floated = df[df["protocol_key"] == float_y.key()].set_index("image")["psnr"]
    assert (floated - rounded).abs().max() > 1e-4


def test_changing_an_image_changes_the_checksum_and_recomputes(tmp_path: Path) -> None:
    folder = _write(tmp_path / "hr", {"a": _crop("astronaut", 0, 0, 64, 80), "b": _crop("chelsea", 40, 60, 48, 64)})
    out = tmp_path / "results.csv"
    method = resolve_method("bicubic")
    ds1 = folder_dataset(folder)
    first = evaluate(EvalRequest([ds1], [method], scales=(4,), metrics=METRICS_FAST, output=out))
    assert first.computed_groups == 1
    assert (
        evaluate(EvalRequest([folder_dataset(folder)], [method], metrics=METRICS_FAST, output=out)).reused_groups == 1
    )
    changed = _crop("astronaut", 0, 0, 64, 80).copy()
    changed[10:20, 10:20] = 255 - changed[10:20, 10:20]
    Image.fromarray(changed).save(folder / "a.png")
    ds2 = folder_dataset(folder)
    assert ds2.checksum != ds1.checksum
    second = evaluate(EvalRequest([ds2], [method], scales=(4,), metrics=METRICS_FAST, output=out))
    assert (second.computed_groups, second.reused_groups) == (1, 0)
    assert set(second.rows["dataset_checksum"]) == {ds2.checksum}
    assert _row(second.rows, "a")["psnr"] != _row(first.rows, "a")["psnr"]
    assert _row(second.rows, "b")["psnr"] == pytest.approx(_row(first.rows, "b")["psnr"], abs=1e-12)


def test_csv_is_never_half_written_when_a_later_dataset_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _write(tmp_path / "first", {"a": _crop("astronaut", 0, 0, 64, 64), "b": _crop("coffee", 0, 0, 64, 64)})
    second = _write(tmp_path / "second", {"c": _crop("chelsea", 0, 0, 96, 80)})
    spec = METRICS.get("psnr")

    def psnr_that_crashes_on_the_second_dataset(sr: Tensor, hr: Tensor) -> Tensor:
        if tuple(sr.shape[-2:]) in ((72, 88), (88, 72)):  # chelsea 96x80 shaved by 4
            raise RuntimeError("simulated crash")
        return spec.fn(sr, hr)

    monkeypatch.setitem(METRICS._items, "psnr", dataclasses.replace(spec, fn=psnr_that_crashes_on_the_second_dataset))
    out = tmp_path / "out" / "results.csv"
    with pytest.raises(RuntimeError, match="simulated crash"):
        evaluate(
            EvalRequest(
                [folder_dataset(first), folder_dataset(second)],
                [resolve_method("bicubic")],
                scales=(4,),
                metrics=METRICS_FAST,
                output=out,
            )
        )
    df = read_results(out)  # parses
    assert sorted(df["image"]) == ["a", "b"] and set(df["dataset"]) == {"first"}
    assert df[["psnr", "ssim"]].notna().all().all()
    assert sorted(p.name for p in out.parent.iterdir()) == ["results.csv"]  # no temp file left behind
    monkeypatch.undo()
    # a re-run reuses the finished dataset and completes the other one
    done = evaluate(
        EvalRequest(
            [folder_dataset(first), folder_dataset(second)],
            [resolve_method("bicubic")],
            metrics=METRICS_FAST,
            output=out,
        )
    )
    assert (done.reused_groups, done.computed_groups) == (1, 1)
    assert len(read_results(out)) == 3


# --- batching invariance ------------------------------------------------------------------------------------------


def test_every_metric_scores_an_image_the_same_alone_and_in_a_batch(tmp_path: Path) -> None:
    """Batching images of one shape (and mixing portrait and landscape images in a dataset) changes no value."""
    portrait = _crop("coffee", 100, 200, 92, 68)
    images = {
        "p": portrait,
        "p2": _crop("rocket", 50, 300, 92, 68),
        "l1": _crop("chelsea", 10, 20, 68, 92),
        "l2": _crop("rocket", 100, 100, 68, 92),
        "l3": _crop("astronaut", 200, 200, 68, 92),
    }
    assert not any(_has_y_ties(a) for a in images.values())
    metrics = ("psnr", "ssim", "fsim", "vif")
    alone = evaluate(
        EvalRequest(
            [folder_dataset(_write(tmp_path / "alone", {"p": portrait}))], [resolve_method("bicubic")], metrics=metrics
        )
    ).rows
    mixed = evaluate(
        EvalRequest([folder_dataset(_write(tmp_path / "mixed", images))], [resolve_method("bicubic")], metrics=metrics)
    ).rows
    assert len(mixed) == 5
    a, m = _row(alone, "p"), _row(mixed, "p")
    for metric in metrics:
        assert m[metric] == a[metric], metric  # bit-identical
    _assert_matches_reference(mixed, images, 4)


# --- SR folders -----------------------------------------------------------------------------------------------------


def _sr_folder_images() -> dict[str, np.ndarray]:
    return {
        "a": _crop("chelsea", 0, 0, 64, 96),
        "b": _crop("rocket", 200, 300, 80, 72),
        "c": _crop("astronaut", 100, 100, 66, 70),  # not a multiple of 4: mod-cropped to 64x68
    }


def _bicubic_rgb_sr(hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Numpy reference bicubic on the RGB image (the way an external method's output would be made)."""
    h, w = hr.shape[:2]
    hr = hr[: h - h % scale, : w - w % scale]
    lr = imresize_np(hr / 255.0, 1 / scale)
    sr = np.floor(np.clip(imresize_np(lr, scale), 0, 1) * 255 + 0.5).astype(np.uint8)
    return hr, sr


def test_sr_dir_scores_a_folder_of_sr_pngs(tmp_path: Path) -> None:
    scale = 4
    images = _sr_folder_images()
    hr_dir = _write(tmp_path / "hr", images)
    srs, hrs = {}, {}
    for k, v in images.items():
        hrs[k], srs[k] = _bicubic_rgb_sr(v, scale)
    assert not any(_has_y_ties(a) for a in (*hrs.values(), *srs.values()))
    sr_dir = _write(tmp_path / "sr" / "mymethod", srs)
    method = resolve_method(f"sr-dir:{sr_dir}")
    assert isinstance(method, SrDirMethod) and method.name == "mymethod"
    rows = evaluate(EvalRequest([folder_dataset(hr_dir)], [method], scales=(scale,), metrics=METRICS_FAST)).rows
    assert len(rows) == 3 and set(rows["method"]) == {"mymethod"}
    for k in images:
        y_sr = _y_ref(srs[k])[scale:-scale, scale:-scale]
        y_gt = _y_ref(hrs[k])[scale:-scale, scale:-scale]
        row = _row(rows, k)
        assert row["psnr"] == pytest.approx(psnr_np(y_sr, y_gt), abs=1e-9)
        assert row["ssim"] == pytest.approx(ssim_skimage(y_sr, y_gt), abs=1e-9)


def test_sr_dir_reports_every_missing_and_wrong_size_file_in_one_error(tmp_path: Path) -> None:
    images = _sr_folder_images()
    hr_dir = _write(tmp_path / "hr", images)
    srs = {k: _bicubic_rgb_sr(v, 4)[1] for k, v in images.items()}
    del srs["b"]  # missing
    srs["c"] = srs["c"][:-4]  # wrong size
    sr_dir = _write(tmp_path / "sr", srs)
    with pytest.raises(DataError) as info:
        evaluate(EvalRequest([folder_dataset(hr_dir)], [SrDirMethod(sr_dir)], scales=(4,), metrics=METRICS_FAST))
    msg = str(info.value)
    assert "\n" not in msg
    assert "1 missing (b)" in msg
    assert "1 size mismatch (c.png is 68x60, expected 68x64" in msg


# --- classic methods and error paths -----------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_nearest_on_an_integer_scale_repeats_every_lr_pixel(scale: int) -> None:
    lr = np.random.default_rng(scale).uniform(0, 1, (2, 1, 7, 9))
    out = resolve_method("nearest").upscale(torch.from_numpy(lr), scale, ["a", "b"]).numpy()
    assert_array_equal(out, np.repeat(np.repeat(lr, scale, axis=-2), scale, axis=-1))


def test_nearest_scores_match_an_independent_pipeline(tmp_path: Path) -> None:
    hr = _crop("rocket", 50, 50, 64, 96)
    assert not _has_y_ties(hr)
    ds = folder_dataset(_write(tmp_path / "hr", {"r": hr}))
    rows = evaluate(EvalRequest([ds], [resolve_method("nearest")], scales=(4,), metrics=METRICS_FAST)).rows
    y = _y_ref(hr)
    lr = imresize_np(y / 255.0, 1 / 4)
    sr = np.floor(np.clip(np.repeat(np.repeat(lr, 4, 0), 4, 1), 0, 1) * 255 + 0.5)
    row = _row(rows, "r")
    assert row["psnr"] == pytest.approx(psnr_np(sr[4:-4, 4:-4], y[4:-4, 4:-4]), abs=1e-9)
    assert row["ssim"] == pytest.approx(ssim_skimage(sr[4:-4, 4:-4], y[4:-4, 4:-4]), abs=1e-9)


def test_unsupported_scale_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="scale 5"):
        evaluate(
            EvalRequest([resolve_dataset("demo", None)], [resolve_method("bicubic")], scales=(5,), metrics=METRICS_FAST)
        )


class _NaNFor(Method):
    """Bicubic-sized output, NaN for one image id."""

    name = "nan-method"
    space = "y"

    def __init__(self, bad: str) -> None:
        self.bad = bad

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        out = torch.zeros(*lr.shape[:-2], lr.shape[-2] * scale, lr.shape[-1] * scale, dtype=torch.float64)
        for i, image_id in enumerate(ids):
            if image_id == self.bad:
                out[i] = math.nan
        return out


def test_method_returning_nan_raises_data_error_naming_the_image(tmp_path: Path) -> None:
    folder = _write(tmp_path / "hr", {"good": _crop("coffee", 0, 0, 48, 48), "bad": _crop("chelsea", 0, 0, 48, 48)})
    with pytest.raises(DataError) as info:
        evaluate(EvalRequest([folder_dataset(folder)], [_NaNFor("bad")], scales=(4,), metrics=METRICS_FAST))
    assert "image bad" in str(info.value) and "good" not in str(info.value)


def test_grayscale_image_in_a_folder_dataset_is_scored_as_y(tmp_path: Path) -> None:
    gray = _crop("camera", 100, 100, 80, 100)
    colour = _crop("chelsea", 0, 0, 80, 100)
    assert not _has_y_ties(colour)
    ds = folder_dataset(_write(tmp_path / "hr", {"g": gray, "c": colour}))
    rows = evaluate(EvalRequest([ds], [resolve_method("bicubic")], scales=(4,), metrics=METRICS_FAST)).rows
    assert bool(_row(rows, "g")["gray"]) is True and bool(_row(rows, "c")["gray"]) is False
    _assert_matches_reference(rows, {"g": gray, "c": colour}, 4)
