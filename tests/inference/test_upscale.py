"""upscale_image / upscale_path / srbench upscale: colour handling, histogram matching, PNG records, errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image
from skimage.color import rgb2ycbcr, ycbcr2rgb
from skimage.exposure import match_histograms
from torch import nn
from typer.testing import CliRunner

from srbench.commands.upscale import default_scale, upscale_command
from srbench.data.imageio import read_image, write_image
from srbench.errors import ConfigError, DataError, SrbenchError
from srbench.inference import read_png_info, upscale_image, upscale_path
from srbench.inference.colour_convert import rgb_to_ycbcr, ycbcr_to_rgb
from srbench.inference.upscale import MANIFEST, match_to_input, upscale_float
from srbench.methods import resolve_method
from srbench.methods.model import ModelMethod
from srbench.methods.srcnn import SRCNNMethod
from srbench.models.srcnn import SRCNN
from srbench.protocol.colour import rgb_to_y
from srbench.protocol.imresize import imresize


def _rgb(h: int = 12, w: int = 10, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).numpy()


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).permute(2, 0, 1)


def _nearest_net(scale: int = 2) -> ModelMethod:
    """An rgb-space 'trained model' without parameters: nearest-neighbour upsampling."""
    return ModelMethod(nn.Upsample(scale_factor=scale, mode="nearest"), "nearest-net", scale)


# --- colour conversion -------------------------------------------------------------------------------------


def test_ycbcr_matches_skimage() -> None:
    rgb = np.random.default_rng(1).uniform(0, 255, (9, 7, 3))
    ycc = _hwc(rgb_to_ycbcr(_chw(rgb)))
    assert_allclose(ycc, rgb2ycbcr(rgb / 255.0), rtol=0, atol=1e-9)
    back = _hwc(ycbcr_to_rgb(_chw(ycc)))
    assert_allclose(back, 255.0 * ycbcr2rgb(ycc), rtol=0, atol=1e-9)
    assert_allclose(back, rgb, rtol=0, atol=1e-9)  # round trip
    # the Y channel is bit-identical to the protocol's luminance
    assert torch.equal(rgb_to_ycbcr(_chw(rgb)[None])[:, :1], rgb_to_y(_chw(rgb)[None], rounding="float"))


# --- upscale_image -----------------------------------------------------------------------------------------


def test_bicubic_rgb_is_bicubic_per_ycbcr_channel() -> None:
    img = _rgb()
    sr, info = upscale_image(resolve_method("bicubic"), img, 3, device="cpu")
    ycc = torch.from_numpy(rgb2ycbcr(img / 255.0)).permute(2, 0, 1)  # skimage, [16, 235] / [16, 240]
    up = imresize(ycc / 255.0, 3, kernel="cubic", path="double") * 255.0
    ref = 255.0 * ycbcr2rgb(up.permute(1, 2, 0).numpy())
    got = upscale_float(resolve_method("bicubic"), img, 3, device="cpu")
    assert_allclose(got, ref, rtol=0, atol=1e-9)
    assert sr.dtype == np.uint8 and sr.shape == (36, 30, 3)
    assert_array_equal(sr, np.floor(np.clip(ref, 0, 255) + 0.5).astype(np.uint8))
    assert info["method"] == "bicubic" and info["scale"] == 3 and info["histmatch"] == "none"
    assert info["device"] == "cpu" and {"method_key", "tile", "overlap", "srbench_version"} <= set(info)


def test_bicubic_gray_stays_gray() -> None:
    img = _rgb()[..., 0]
    sr, _ = upscale_image(resolve_method("bicubic"), img, 2, device="cpu")
    ref = imresize(torch.from_numpy(img / 255.0), 2, kernel="cubic", path="double").numpy() * 255.0
    assert sr.shape == (24, 20)
    assert_array_equal(sr, np.floor(np.clip(ref, 0, 255) + 0.5).astype(np.uint8))


def test_rgb_method_gray_input_is_replicated_and_reduced() -> None:
    img = _rgb()[..., 1]
    sr, info = upscale_image(_nearest_net(), img, 2, device="cpu", tile=0)
    assert sr.shape == (24, 20) and info["space"] == "rgb"
    assert_array_equal(sr, img.repeat(2, 0).repeat(2, 1))


def test_tiling_does_not_change_bicubic_output() -> None:
    img = _rgb(40, 33, seed=4)
    untiled, _ = upscale_image(resolve_method("bicubic"), img, 2, device="cpu", tile=0)
    tiled, info = upscale_image(resolve_method("bicubic"), img, 2, device="cpu", tile=16, overlap=6)
    assert_array_equal(tiled, untiled)
    assert (info["tile"], info["overlap"]) == (16, 6)


def test_srcnn_upscales_y_and_bicubic_chroma_tiled_exactly() -> None:
    torch.manual_seed(0)
    method = SRCNNMethod(SRCNN(n1=8, n2=4), scale=2)  # random weights, float64; radius ~6 LR pixels at x2
    img = _rgb(40, 33, seed=8)
    got = upscale_float(method, img, 2, device="cpu", tile=20, overlap=14)
    ycc = rgb_to_ycbcr(_chw(img)[None])
    y = method.upscale(ycc[:, :1] / 255.0, 2, ["x"]) * 255.0
    cbcr = imresize(ycc[:, 1:] / 255.0, 2, kernel="cubic", path="double") * 255.0
    ref = _hwc(ycbcr_to_rgb(torch.cat([y, cbcr], dim=1))[0])
    assert_allclose(got, ref, rtol=0, atol=1e-9)
    assert_allclose(upscale_float(method, img, 2, device="cpu", tile=0), ref, rtol=0, atol=1e-9)


def test_histmatch_rgb_is_skimage_per_channel_then_rounding() -> None:
    img = _rgb(seed=5)
    bic = resolve_method("bicubic")
    sr_float = np.clip(upscale_float(bic, img, 2, device="cpu"), 0, 255)
    ref = match_histograms(sr_float, img.astype(np.float64), channel_axis=-1)
    sr, info = upscale_image(bic, img, 2, histmatch="rgb", device="cpu")
    assert info["histmatch"] == "rgb"
    assert_array_equal(sr, np.floor(np.clip(ref, 0, 255) + 0.5).astype(np.uint8))


def test_histmatch_y_changes_only_luminance() -> None:
    img = _rgb(seed=6)
    sr_float = upscale_float(resolve_method("bicubic"), img, 2, device="cpu")
    matched = match_to_input(sr_float, img, "y")
    before = _hwc(rgb_to_ycbcr(_chw(np.clip(sr_float, 0, 255))))
    after = _hwc(rgb_to_ycbcr(_chw(matched)))
    assert_allclose(after[..., 1:], before[..., 1:], rtol=0, atol=1e-9)  # chroma kept
    lr_y = _hwc(rgb_to_ycbcr(_chw(img)))[..., 0]
    assert_allclose(after[..., 0], match_histograms(before[..., 0], lr_y), rtol=0, atol=1e-9)
    assert np.abs(after[..., 0] - before[..., 0]).max() > 1.0  # the luminance did change


# --- files, folders, records -------------------------------------------------------------------------------


def test_png_record_round_trips(tmp_path: Path) -> None:
    img = _rgb(seed=7)
    write_image(tmp_path / "a.png", img)
    res = upscale_path(resolve_method("bicubic"), tmp_path / "a.png", tmp_path / "out" / "a_x2.png", 2, device="cpu")
    assert res.outputs == [tmp_path / "out" / "a_x2.png"] and res.written == 1 and res.manifest is None
    sr, info = upscale_image(resolve_method("bicubic"), img, 2, device="cpu")
    assert_array_equal(read_image(res.outputs[0]), sr)
    recorded = read_png_info(res.outputs[0])
    assert recorded is not None and recorded["input"] == "a.png" and len(recorded["input_sha256"]) == 64
    assert {k: recorded[k] for k in info} == info
    assert read_png_info(tmp_path / "a.png") is None  # no record in a plain PNG


def test_folder_rerun_skips_finished_outputs(tmp_path: Path) -> None:
    src, dst = tmp_path / "lr", tmp_path / "sr"
    for i in range(3):
        write_image(src / f"im{i}.png", _rgb(seed=i))
    write_image(src / "gray.png", _rgb(seed=9)[..., 0])
    bic = resolve_method("bicubic")
    first = upscale_path(bic, src, dst, 2, device="cpu")
    assert (first.written, first.skipped) == (4, 0) and first.manifest == dst / MANIFEST
    assert read_image(dst / "gray.png").shape == (24, 20)
    mtimes = {p: p.stat().st_mtime_ns for p in first.outputs}
    again = upscale_path(bic, src, dst, 2, device="cpu")
    assert (again.written, again.skipped) == (0, 4)
    assert {p: p.stat().st_mtime_ns for p in again.outputs} == mtimes
    changed = upscale_path(bic, src, dst, 2, device="cpu", histmatch="rgb")  # other settings: redone
    assert (changed.written, changed.skipped) == (4, 0)
    manifest = (dst / MANIFEST).read_text()
    assert '"histmatch": "rgb"' in manifest and all(f"im{i}.png" in manifest for i in range(3))


def _one_line(exc: pytest.ExceptionInfo[SrbenchError], *names: object) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    for n in names:
        assert str(n) in msg, msg
    return msg


def test_errors_are_one_line_and_name_the_file(tmp_path: Path) -> None:
    bic = resolve_method("bicubic")
    with pytest.raises(DataError) as e1:
        upscale_path(bic, tmp_path / "missing.png", tmp_path / "o.png", 2)
    _one_line(e1, tmp_path / "missing.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError) as e2:
        upscale_path(bic, tmp_path / "empty", tmp_path / "o", 2)
    _one_line(e2, tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(DataError) as e3:
        upscale_path(bic, bad, tmp_path / "o", 2)
    _one_line(e3, bad / "broken.png")
    (tmp_path / "file.txt").write_text("x")
    write_image(tmp_path / "good" / "a.png", _rgb())
    with pytest.raises(ConfigError) as e4:
        upscale_path(bic, tmp_path / "good", tmp_path / "file.txt", 2)
    _one_line(e4, tmp_path / "file.txt")
    with pytest.raises(ConfigError) as e5:
        upscale_path(_nearest_net(2), tmp_path / "good", tmp_path / "o", 4)
    _one_line(e5, "nearest-net", "--scale 2")
    with pytest.raises(ConfigError) as e6:
        upscale_path(bic, tmp_path / "good" / "a.png", tmp_path / "a.jpg", 2)
    _one_line(e6, tmp_path / "a.jpg")
    with pytest.raises(ConfigError) as e7:
        upscale_image(bic, _rgb(), 2, histmatch="lab")
    _one_line(e7, "lab")


# --- the command -------------------------------------------------------------------------------------------


def test_command_upscales_a_folder(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(upscale_command)
    write_image(tmp_path / "lr" / "a.png", _rgb())
    Image.fromarray(_rgb(seed=3)).save(tmp_path / "lr" / "b.bmp")
    args = [str(tmp_path / "lr"), str(tmp_path / "sr"), "-m", "bicubic", "-s", "2", "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--histmatch", "y", "--tile", "0", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "sr")) == ["a.png", "b.png", MANIFEST]
    info = read_png_info(tmp_path / "sr" / "b.png")
    assert info is not None and (info["histmatch"], info["scale"], info["tile"]) == ("y", 2, 0)
    assert default_scale(resolve_method("bicubic")) == 4 and default_scale(_nearest_net(2)) == 2
