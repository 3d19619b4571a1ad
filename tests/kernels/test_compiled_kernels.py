"""The compiled CPU kernels (srbench.kernels) compute the same numbers as the torch code they replace.

* ``imresize`` passes: bit for bit equal, for every kernel, numeric path, border, scale and odd shape (the uint8
  path's exact .5 ties must round the same way);
* SSIM: equal to the whole-image formula written out with torch to ~1e-15 (only the order of the final mean
  differs), including float-valued inputs and flat regions;
* the switch: ``SRBENCH_KERNELS=torch`` turns them off, and autograd inputs always take the torch path.

The kernels are also run against the independent references (MATLAB files, scikit-image SSIM) by
tests/protocol/test_imresize.py and tests/metrics/test_psnr_ssim.py, which run under both backends.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import Tensor

from srbench import kernels
from srbench.metrics.ssim import ssim
from srbench.protocol.imresize import imresize
from srbench.testing.torch_reference import ssim_whole_image

SHAPES = [(11, 11), (12, 40), (41, 41), (37, 53), (100, 101), (75, 260), (260, 75)]


def _pair(h: int, w: int, seed: int, integer: bool) -> tuple[Tensor, Tensor]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, (h, w))
    y = np.clip(x + rng.normal(0, 10, (h, w)), 0, 255)
    y[: h // 3, : w // 3] = 90.0  # a flat patch: zero variances
    if integer:
        x, y = np.round(x), np.round(y)
    return torch.from_numpy(y), torch.from_numpy(x)


@pytest.mark.parametrize("integer", [True, False], ids=["integer", "float"])
@pytest.mark.parametrize("shape", SHAPES, ids=[f"{h}x{w}" for h, w in SHAPES])
def test_compiled_ssim_equals_the_whole_image_torch_formula(
    shape: tuple[int, int], integer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRBENCH_KERNELS", "numba")
    x, y = _pair(*shape, seed=shape[0] * 1000 + shape[1], integer=integer)
    got = ssim(x[None, None], y[None, None]).item()
    assert got == pytest.approx(float(ssim_whole_image(x, y)), rel=0, abs=2e-15)


def test_compiled_ssim_of_a_batch_scores_each_image_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRBENCH_KERNELS", "numba")
    pairs = [_pair(40, 57, seed, integer=True) for seed in range(3)]
    batch = ssim(torch.stack([p[0] for p in pairs])[:, None], torch.stack([p[1] for p in pairs])[:, None])
    alone = [ssim(a[None, None], b[None, None]).item() for a, b in pairs]
    assert batch.tolist() == alone


def test_compiled_ssim_of_identical_images_is_exactly_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRBENCH_KERNELS", "numba")
    x, _ = _pair(30, 30, 0, integer=True)
    assert ssim(x[None, None], x[None, None]).item() == 1.0


def test_compiled_ssim_kernel_refuses_other_windows() -> None:
    from srbench.kernels.ssim_cpu import ssim_mean

    x = np.zeros((20, 20))
    with pytest.raises(ValueError, match="11-tap"):
        ssim_mean(x, x, np.ones(7) / 7, 1.0, 1.0)


RESIZE_CASES = [
    # (input shape, scale)
    ((1, 1, 320, 480), 1 / 4),
    ((1, 1, 80, 120), 4),
    ((2, 3, 33, 47), 1 / 3),
    ((2, 3, 33, 47), 3),
    ((1, 1, 64, 40), 1 / 8),
    ((1, 1, 8, 5), 8),
    ((1, 1, 9, 5), 1 / 2),
    ((3, 7, 6), 2),
]


@pytest.mark.parametrize("border", ["symmetric", "replicate"])
@pytest.mark.parametrize("kernel", ["cubic", "linear", "box", "nearest"])
@pytest.mark.parametrize("path", ["double", "uint8"])
def test_compiled_imresize_equals_the_torch_passes_bit_for_bit(
    path: str, kernel: str, border: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    for shape, scale in RESIZE_CASES:
        x = torch.from_numpy(rng.uniform(0, 255, shape))
        x = x.round() if path == "uint8" else x / 255.0
        out = {}
        for backend in ("numba", "torch"):
            monkeypatch.setenv("SRBENCH_KERNELS", backend)
            out[backend] = imresize(x, scale, kernel=kernel, path=path, border=border)  # type: ignore[arg-type]
        assert out["numba"].shape == out["torch"].shape
        assert torch.equal(out["numba"], out["torch"]), (shape, scale)


def test_compiled_imresize_of_a_size_with_two_scales_equals_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    x = torch.from_numpy(np.random.default_rng(3).uniform(0, 1, (2, 31, 44)))
    out = {}
    for backend in ("numba", "torch"):
        monkeypatch.setenv("SRBENCH_KERNELS", backend)
        out[backend] = imresize(x, size=(17, 90))
    assert torch.equal(out["numba"], out["torch"])


def test_kernels_switch_off_with_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRBENCH_KERNELS", "torch")
    assert not kernels.enabled()
    monkeypatch.setenv("SRBENCH_KERNELS", "numba")
    assert kernels.enabled()


def test_imresize_of_inputs_that_need_gradients_takes_the_differentiable_torch_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SRBENCH_KERNELS", "numba")
    x = torch.rand(1, 1, 24, 24, dtype=torch.float64, requires_grad=True)
    imresize(x, 1 / 2).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("rounding", ["round", "float"])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float64, torch.float32])
def test_compiled_luminance_equals_torch_bit_for_bit(
    dtype: torch.dtype, rounding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from srbench.protocol.colour import rgb_to_y

    rng = np.random.default_rng(11)
    rgb = torch.from_numpy(rng.integers(0, 256, (2, 3, 37, 53))).to(dtype)
    rgb[0, :, 0, 0] = torch.tensor([146, 124, 97], dtype=dtype)  # an exact-tie colour (tests/protocol/test_colour.py)
    out = {}
    for backend in ("numba", "torch"):
        monkeypatch.setenv("SRBENCH_KERNELS", backend)
        out[backend] = rgb_to_y(rgb, rounding)  # type: ignore[arg-type]
    assert out["numba"].dtype == torch.float64
    assert torch.equal(out["numba"], out["torch"])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_compiled_sr_quantisation_equals_torch_bit_for_bit(dtype: torch.dtype, monkeypatch: pytest.MonkeyPatch) -> None:
    from srbench.evaluate.pipeline import sr_to_y
    from srbench.protocol.record import Protocol

    rng = np.random.default_rng(12)
    sr = torch.from_numpy(rng.uniform(-0.2, 1.2, (2, 1, 30, 41))).to(dtype)
    sr[0, 0, 0, :4] = torch.tensor([0.5 / 255, 1.5 / 255, 254.5 / 255, 1.0], dtype=dtype)
    out = {}
    for backend in ("numba", "torch"):
        monkeypatch.setenv("SRBENCH_KERNELS", backend)
        out[backend] = sr_to_y(sr, sr, False, "y", Protocol())
    assert torch.equal(out["numba"], out["torch"])
    assert out["numba"].min() >= 0 and out["numba"].max() <= 255


def test_compiled_psnr_equals_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    from srbench.metrics.psnr import psnr

    rng = np.random.default_rng(13)
    a = torch.from_numpy(rng.integers(16, 236, (3, 1, 40, 61)).astype(np.float64))
    b = (a + torch.from_numpy(rng.integers(-9, 10, a.shape).astype(np.float64))).clamp(0, 255)
    b[1] = a[1]  # identical: +inf
    fa, fb = a + torch.from_numpy(rng.uniform(0, 1, a.shape)), b[:, :, 3:-3, 2:-5]
    out = {}
    for backend in ("numba", "torch"):
        monkeypatch.setenv("SRBENCH_KERNELS", backend)
        out[backend] = (psnr(a, b), psnr(fa[:, :, 3:-3, 2:-5], fb))  # the latter: float values, strided views
    assert torch.equal(out["numba"][0], out["torch"][0])  # integer values: every partial sum is exact
    assert torch.allclose(out["numba"][1], out["torch"][1], rtol=0, atol=1e-12)
    assert out["numba"][0][1].item() == float("inf")
