"""LPIPS / DISTS / psnr-rgb / FSIMc through ``evaluate`` equal the metric on the RGB image ``srbench upscale``
writes (shaved alike).

(With the protocol's float luminance, so that a luminance method sees the same LR Y in both; under the
default rounded Y the RGB image is built from the SR Y that is scored.) The second path is independent of the
runner: LR files on disk -> ``upscale_image`` (the upscale command's
code, which recombines a luminance method's Y with bicubic chroma) -> shave -> the metric function.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from skimage import data
from skimage.metrics import peak_signal_noise_ratio

from srbench.data.datasets import resolve_dataset
from srbench.data.imageio import write_image
from srbench.evaluate import EvalRequest, evaluate
from srbench.inference.upscale import upscale_image
from srbench.methods import resolve_method
from srbench.metrics.dists import dists
from srbench.metrics.fsim import fsimc
from srbench.metrics.lpips import lpips
from srbench.protocol.imresize import imresize
from srbench.protocol.record import get_protocol

SCALE = 4


def _folders(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    hr = data.chelsea()[40:136, 100:212]  # 96 x 112, a multiple of 4
    lr = imresize(torch.from_numpy(hr.astype(np.float64)).permute(2, 0, 1)[None] / 255.0, 1 / SCALE, kernel="cubic")
    lr_u8 = (lr[0].permute(1, 2, 0).numpy() * 255.0).round().clip(0, 255).astype(np.uint8)
    (tmp_path / "hr").mkdir()
    (tmp_path / "lr").mkdir()
    write_image(tmp_path / "hr" / "cat.png", hr)
    write_image(tmp_path / "lr" / "cat.png", lr_u8)
    return tmp_path / "hr", tmp_path / "lr", hr, lr_u8


@pytest.mark.parametrize("method_name", ["bicubic", "johnson-x4-pixel"])
def test_rgb_metrics_in_evaluate_match_the_upscaled_image(
    shared_weights: Path, tmp_path: Path, method_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(shared_weights))
    hr_dir, lr_dir, hr, lr_u8 = _folders(tmp_path)
    method = resolve_method(method_name)
    # float luminance: a luminance method then sees the same Y of the LR as `srbench upscale` gives it
    protocol = get_protocol("standard").replace(y_rounding="float")
    rows = evaluate(
        EvalRequest(
            [resolve_dataset(str(hr_dir), None)],
            [method],
            [SCALE],
            ["psnr", "lpips", "dists", "psnr-rgb", "fsimc"],
            protocol=protocol,
            lr_dir=str(lr_dir),
        )
    ).rows
    sr, _ = upscale_image(method, lr_u8, SCALE, device="cpu", tile=None)
    b = SCALE
    to_t = lambda a: torch.from_numpy(a[b:-b, b:-b].astype(np.float32)).permute(2, 0, 1)[None]  # noqa: E731
    want_lpips = float(lpips(to_t(sr), to_t(hr))[0])
    want_dists = float(dists(to_t(sr), to_t(hr))[0])
    assert rows["lpips"].item() == pytest.approx(want_lpips, abs=1e-6)
    assert rows["dists"].item() == pytest.approx(want_dists, abs=1e-6)
    assert 0.0 < want_lpips < 1.0 and 0.0 < want_dists < 1.0
    # psnr-rgb: scikit-image's PSNR over the three channels of the same shaved 8-bit images
    want_psnr_rgb = peak_signal_noise_ratio(hr[b:-b, b:-b], sr[b:-b, b:-b].astype(np.uint8), data_range=255)
    assert rows["psnr-rgb"].item() == pytest.approx(want_psnr_rgb, abs=1e-9)
    assert rows["psnr-rgb"].item() < rows["psnr"].item()  # RGB PSNR is below the Y PSNR
    assert rows["fsimc"].item() == pytest.approx(float(fsimc(to_t(sr).double(), to_t(hr).double())[0]), abs=1e-12)


def test_grayscale_and_colour_images_of_one_shape_are_scored_apart(
    shared_weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(shared_weights))
    write_image(tmp_path / "gray.png", data.camera()[100:196, 100:212])
    write_image(tmp_path / "colour.png", data.chelsea()[40:136, 100:212])
    protocol = get_protocol("standard").replace(y_rounding="float")
    rows = evaluate(
        EvalRequest(
            [resolve_dataset(str(tmp_path), None)],
            [resolve_method("bicubic")],
            [SCALE],
            ["lpips", "fsim", "fsimc", "psnr", "psnr-rgb"],
            protocol=protocol,
        )
    ).rows.set_index("image")
    gray_hr = data.camera()[100:196, 100:212]
    lr = imresize(torch.from_numpy(gray_hr.astype(np.float64))[None, None] / 255.0, 1 / SCALE, kernel="cubic")
    sr = imresize(lr, SCALE, kernel="cubic")[0, 0].numpy() * 255.0
    sr_u8 = np.floor(np.clip(sr, 0, 255) + 0.5)
    b = SCALE
    rep3 = lambda a: torch.from_numpy(np.repeat(a[None, b:-b, b:-b], 3, 0).astype(np.float32))[None]  # noqa: E731
    assert rows.at["gray", "lpips"] == pytest.approx(float(lpips(rep3(sr_u8), rep3(gray_hr))[0]), abs=1e-6)
    assert np.isfinite(rows.at["colour", "lpips"])
    # a grayscale image's RGB metrics see its one channel: psnr-rgb = psnr, fsimc = fsim (FeatureSIM.m: I = Q = 1)
    assert rows.at["gray", "psnr-rgb"] == pytest.approx(rows.at["gray", "psnr"], abs=1e-9)
    assert rows.at["gray", "fsimc"] == pytest.approx(rows.at["gray", "fsim"], abs=1e-12)
    assert rows.at["colour", "fsimc"] != rows.at["colour", "fsim"]


def test_an_rgb_method_on_gray_and_colour_images_of_one_shape_sees_the_gray_image_as_one_channel(
    shared_weights: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An RGB network's output on a grayscale image is reduced to the one channel that is scored (as `srbench
    upscale` writes a grayscale image): its RGB metrics see that channel, so psnr-rgb equals psnr, as for every
    method; colour images of the same size are scored beside it (they used to be stacked together and crash)."""
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(shared_weights))
    images = {"gray": data.camera()[100:196, 100:212], "colour": data.chelsea()[40:136, 100:212]}
    for d in ("hr", "lr"):
        (tmp_path / d).mkdir()
    lrs = {}
    for name, hr in images.items():
        t = torch.from_numpy(hr.astype(np.float64))
        t = t[None, None] if hr.ndim == 2 else t.permute(2, 0, 1)[None]
        lr = imresize(t / 255.0, 1 / SCALE, kernel="cubic")[0].permute(1, 2, 0).numpy()
        lrs[name] = (lr * 255.0).round().clip(0, 255).astype(np.uint8).squeeze()
        write_image(tmp_path / "hr" / f"{name}.png", hr)
        write_image(tmp_path / "lr" / f"{name}.png", lrs[name])
    method = resolve_method("johnson-x4-pixel")
    rows = evaluate(
        EvalRequest(
            [resolve_dataset(str(tmp_path / "hr"), None)],
            [method],
            [SCALE],
            ["psnr", "lpips", "psnr-rgb"],
            protocol=get_protocol("standard"),
            lr_dir=str(tmp_path / "lr"),
        )
    ).rows.set_index("image")
    assert rows.at["gray", "psnr-rgb"] == pytest.approx(rows.at["gray", "psnr"], abs=1e-9)
    # the second path: the gray image `srbench upscale` writes (the luma of the float output, rounded), which differs
    # from the scored one (the rounded luma of the rounded RGB) by a level here and there: LPIPS within 5e-3
    b = SCALE
    sr, _ = upscale_image(method, lrs["gray"], SCALE, device="cpu", tile=None)
    assert sr.ndim == 2
    rep3 = lambda a: torch.from_numpy(np.repeat(a[None, b:-b, b:-b], 3, 0).astype(np.float32))[None]  # noqa: E731
    assert rows.at["gray", "lpips"] == pytest.approx(float(lpips(rep3(sr), rep3(images["gray"]))[0]), abs=5e-3)
    assert np.isfinite(rows.at["colour", "lpips"]) and rows.at["colour", "psnr-rgb"] < rows.at["colour", "psnr"]
