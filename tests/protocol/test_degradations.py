"""The ``bicubic`` and ``blur-bicubic`` degradations against scipy, MATLAB's ``fspecial`` formula and the numpy
reference ``imresize_np``.

srbench's blur border is SYMMETRIC with the edge pixel repeated (``[a b c | c b a]``), which is scipy's
``mode='reflect'`` (scipy's ``'mirror'`` does not repeat the edge); its 7x7 kernel is a radius-3 Gaussian, i.e.
scipy's ``truncate=3.0`` with sigma 1.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from scipy.ndimage import gaussian_filter

from srbench.protocol.degradations import (
    BLUR_SIZE,
    DEGRADATIONS,
    gaussian_blur,
    gaussian_kernel_1d,
)
from srbench.testing.numpy_reference import imresize_np


def _scipy_blur(x: np.ndarray) -> np.ndarray:
    """sigma 1 on the last two axes, symmetric (edge-repeating) border, radius 3."""
    sigma = (0,) * (x.ndim - 2) + (1.0, 1.0)
    return gaussian_filter(x, sigma=sigma, mode="reflect", truncate=3.0)


def _hr(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape).astype(np.float64)


def _fspecial_gaussian(size: int, sigma: float) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)``, written from its documented formula."""
    half = (size - 1) / 2
    y, x = np.mgrid[-half : half + 1, -half : half + 1]
    h = np.exp(-(x * x + y * y) / (2 * sigma * sigma))
    h[h < np.finfo(np.float64).eps * h.max()] = 0
    return h / h.sum()


def test_blur_kernel_is_matlab_fspecial_gaussian_7_sigma_1() -> None:
    assert BLUR_SIZE == 7
    g = gaussian_kernel_1d(7, 1.0).numpy()
    assert_allclose(np.outer(g, g), _fspecial_gaussian(7, 1.0), rtol=0, atol=1e-16)
    # the 1-D factor itself, from the formula
    x = np.arange(-3, 4)
    assert_allclose(g, np.exp(-(x**2) / 2) / np.exp(-(x**2) / 2).sum(), rtol=0, atol=1e-16)
    # centre: 1 / (sum_{x=-3..3} exp(-x^2/2))^2, close to the untruncated 1 / (2 pi) = 0.15915
    assert_allclose(np.outer(g, g)[3, 3], 0.15924112569070245, rtol=0, atol=1e-15)


@pytest.mark.parametrize("shape", [(1, 1, 37, 29), (2, 3, 24, 40), (1, 1, 8, 9)])
def test_gaussian_blur_equals_scipy_reflect_truncate_3(shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(sum(shape)).uniform(0, 255, shape)
    out = gaussian_blur(torch.from_numpy(x)).numpy()
    assert_allclose(out, _scipy_blur(x), rtol=0, atol=1e-12)
    # and NOT scipy's 'mirror' (edge not repeated): the border convention is pinned
    assert np.abs(out - gaussian_filter(x, sigma=(0, 0, 1, 1), mode="mirror", truncate=3.0)).max() > 1e-3


def test_gaussian_blur_keeps_a_constant_image() -> None:
    c = torch.full((1, 2, 12, 10), 93.0, dtype=torch.float64)
    assert_allclose(gaussian_blur(c).numpy(), 93.0, rtol=0, atol=1e-12)


def test_gaussian_blur_rejects_an_image_smaller_than_the_kernel_radius() -> None:
    with pytest.raises(ValueError):
        gaussian_blur(torch.zeros(1, 1, 3, 20, dtype=torch.float64))


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_bicubic_double_path_equals_numpy_reference(scale: int) -> None:
    hr = _hr((1, 3, 8 * scale, 6 * scale), scale)
    lr = DEGRADATIONS.get("bicubic")(torch.from_numpy(hr), scale, "double").numpy()
    ref = np.stack([imresize_np(c / 255.0, 1 / scale) for c in hr[0]])[None]
    assert lr.shape == ref.shape == (1, 3, 8, 6)
    assert np.abs(lr - ref).max() < 1e-12


@pytest.mark.parametrize("scale", [2, 4])
def test_bicubic_uint8_path_equals_numpy_reference(scale: int) -> None:
    hr = _hr((1, 1, 12 * scale, 10 * scale), 40 + scale)
    lr = DEGRADATIONS.get("bicubic")(torch.from_numpy(hr), scale, "uint8").numpy()
    assert_array_equal(lr[0, 0] * 255.0, imresize_np(hr[0, 0], 1 / scale, "uint8"))


@pytest.mark.parametrize("scale", [2, 4])
def test_blur_bicubic_is_blur_then_bicubic(scale: int) -> None:
    hr = _hr((2, 3, 10 * scale, 7 * scale), 50 + scale)
    lr = DEGRADATIONS.get("blur-bicubic")(torch.from_numpy(hr), scale, "double").numpy()
    blurred = _scipy_blur(hr)
    ref = np.stack([[imresize_np(c / 255.0, 1 / scale) for c in img] for img in blurred])
    assert_allclose(lr, ref, rtol=0, atol=1e-12)


def test_blur_bicubic_uint8_path_rounds_the_blur_then_resizes_on_the_uint8_path() -> None:
    hr = _hr((1, 1, 48, 40), 60)
    lr = DEGRADATIONS.get("blur-bicubic")(torch.from_numpy(hr), 4, "uint8").numpy()
    blurred = np.floor(np.clip(_scipy_blur(hr), 0, 255) + 0.5)  # MATLAB imfilter on uint8 returns uint8
    assert_array_equal(lr[0, 0] * 255.0, imresize_np(blurred[0, 0], 1 / 4, "uint8"))


@pytest.mark.parametrize("name", ["bicubic", "blur-bicubic"])
def test_degradations_reject_sizes_that_are_not_a_multiple_of_the_scale(name: str) -> None:
    deg = DEGRADATIONS.get(name)
    with pytest.raises(ValueError, match="modcrop"):
        deg(torch.zeros(1, 1, 33, 32, dtype=torch.float64), 4)
    with pytest.raises(ValueError, match="modcrop"):
        deg(torch.zeros(1, 1, 24, 26, dtype=torch.float64), 3)
    assert tuple(deg(torch.zeros(1, 1, 24, 27, dtype=torch.float64), 3).shape) == (1, 1, 8, 9)


def test_degradation_ids_are_versioned() -> None:
    assert DEGRADATIONS.get("bicubic").id == "bicubic@1"
    assert DEGRADATIONS.get("blur-bicubic").id == "blur-bicubic@1"
