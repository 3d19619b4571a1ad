"""PSNR and SSIM against scikit-image and the textbook formulas.

SSIM: ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=255)`` equals Wang's ``ssim_index`` (11x11 Gaussian, 'valid' map; conventions section 3.3).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import skimage.data
import torch
from numpy.testing import assert_allclose
from skimage.color import rgb2gray
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from srbench.metrics import METRICS
from srbench.metrics.psnr import psnr
from srbench.metrics.ssim import ssim

pytestmark = pytest.mark.usefixtures("kernel_backend")  # compiled kernels and torch, same values


def _t(*arrays: np.ndarray) -> torch.Tensor:
    """(H, W) arrays -> (N, 1, H, W) float64."""
    return torch.from_numpy(np.stack([np.asarray(a, dtype=np.float64) for a in arrays]))[:, None]


def _sk_ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    )


def _natural(name: str, shape: tuple[int, int]) -> np.ndarray:
    img = getattr(skimage.data, name)()
    if img.ndim == 3:
        img = rgb2gray(img) * 255
    return np.asarray(img, dtype=np.float64)[: shape[0], : shape[1]]


def _degraded(x: np.ndarray, seed: int) -> np.ndarray:
    """A plausible SR-like error: smoothing plus noise, rounded and clipped to [0, 255]."""
    rng = np.random.default_rng(seed)
    smooth = (x + np.roll(x, 1, 0) + np.roll(x, 1, 1) + np.roll(x, (1, 1), (0, 1))) / 4
    return np.clip(np.floor(smooth + rng.normal(0, 6, x.shape) + 0.5), 0, 255)


PAIRS = [("camera", (301, 257)), ("coins", (303, 383)), ("astronaut", (211, 199)), ("moon", (129, 255))]


@pytest.mark.parametrize(("name", "shape"), PAIRS)
def test_psnr_equals_skimage_and_the_formula(name: str, shape: tuple[int, int]) -> None:
    gt = _natural(name, shape)
    sr = _degraded(gt, 1)
    ours = float(psnr(_t(sr), _t(gt))[0])
    assert ours == pytest.approx(peak_signal_noise_ratio(gt, sr, data_range=255), abs=1e-12)
    mse = float(np.mean((sr - gt) ** 2))
    assert ours == pytest.approx(10 * math.log10(255.0**2 / mse), abs=1e-12)


def test_psnr_of_identical_images_is_inf_and_batches_are_per_image() -> None:
    gt = _natural("camera", (64, 80))
    sr = _degraded(gt, 2)
    out = psnr(_t(gt, sr), _t(gt, gt)).numpy()
    assert out[0] == np.inf
    assert out[1] == pytest.approx(peak_signal_noise_ratio(gt, sr, data_range=255), abs=1e-12)
    assert out.dtype == np.float64


@pytest.mark.parametrize(("name", "shape"), PAIRS)
def test_ssim_equals_skimage_wang_flags_on_natural_images(name: str, shape: tuple[int, int]) -> None:
    gt = _natural(name, shape)
    sr = _degraded(gt, 3)
    assert float(ssim(_t(sr), _t(gt))[0]) == pytest.approx(_sk_ssim(sr, gt), abs=1e-10)


@pytest.mark.parametrize("shape", [(11, 11), (13, 29), (57, 31), (101, 77)])
def test_ssim_equals_skimage_on_random_pairs_of_odd_sizes(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[0] * shape[1])
    a = rng.integers(0, 256, shape).astype(np.float64)
    b = np.clip(a + rng.normal(0, 25, shape), 0, 255)
    assert float(ssim(_t(b), _t(a))[0]) == pytest.approx(_sk_ssim(b, a), abs=1e-10)


def test_ssim_in_a_batch_equals_skimage_per_image() -> None:
    gts = [_natural(n, (97, 131)) for n in ("camera", "coins", "moon")]
    srs = [_degraded(g, 10 + i) for i, g in enumerate(gts)]
    out = ssim(_t(*srs), _t(*gts)).numpy()
    assert out.shape == (3,)
    assert_allclose(out, [_sk_ssim(s, g) for s, g in zip(srs, gts, strict=True)], rtol=0, atol=1e-10)


def test_ssim_of_multichannel_input_is_the_channel_mean_as_skimage() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (3, 41, 37)).astype(np.float64)
    b = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    ours = float(ssim(torch.from_numpy(b)[None], torch.from_numpy(a)[None])[0])
    ref = structural_similarity(
        b, a, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=0
    )
    assert ours == pytest.approx(ref, abs=1e-10)


def test_ssim_of_identical_images_is_one() -> None:
    gt = _natural("astronaut", (120, 90))
    assert float(ssim(_t(gt), _t(gt))[0]) == pytest.approx(1.0, abs=1e-12)
    assert structural_similarity(gt, gt, data_range=255) == pytest.approx(1.0)


@pytest.mark.parametrize(("name", "shape"), [("camera", (301, 257)), ("astronaut", (131, 212))])
def test_ssim_and_psnr_are_unchanged_by_transposing_both_images(name: str, shape: tuple[int, int]) -> None:
    # the runner transposes portrait images to batch them with landscape ones
    gt = _natural(name, shape)
    sr = _degraded(gt, 4)
    s = float(ssim(_t(sr), _t(gt))[0])
    s_t = float(ssim(_t(sr.T), _t(gt.T))[0])
    assert s_t == pytest.approx(s, abs=1e-12)
    assert s_t == pytest.approx(_sk_ssim(sr, gt), abs=1e-10)
    assert float(psnr(_t(sr.T), _t(gt.T))[0]) == float(psnr(_t(sr), _t(gt))[0])


def test_ssim_rejects_images_smaller_than_the_window_and_shape_mismatch() -> None:
    with pytest.raises(ValueError):
        ssim(_t(np.zeros((10, 20))), _t(np.zeros((10, 20))))
    with pytest.raises(ValueError):
        ssim(_t(np.zeros((20, 20))), _t(np.zeros((20, 21))))
    with pytest.raises(ValueError):
        psnr(_t(np.zeros((20, 20))), _t(np.zeros((20, 21))))


def test_registered_specs_record_the_settings_that_change_the_value() -> None:
    spec = METRICS.get("ssim")
    assert spec.fn is ssim and spec.min_size == 11 and spec.decimals == 4
    assert spec.settings["padding"] == "valid" and spec.settings["downsample"] is False
    assert METRICS.get("psnr").fn is psnr and METRICS.get("psnr").settings["peak"] == 255.0
