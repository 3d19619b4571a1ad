"""The speed-ups of SSIM, VIFp and FSIM change no value: each is checked against the straightforward form.

* strip filtering (SSIM, VIFp): bit for bit equal to filtering the whole image at once, and to the whole-image
  SSIM / VIFp formulas written out here, for odd, even, tall and wide shapes and every strip height;
* FSIM's noise energy by Parseval: equal to the sum over the inverse-transformed even filters (Kovesi's form).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import Tensor

from srbench.metrics import fsim as fsim_module
from srbench.metrics import ssim as ssim_module
from srbench.metrics import vif as vif_module
from srbench.metrics.ssim import _filter_valid, _gaussian_1d, filtered_strips, ssim
from srbench.metrics.vif import _window, vif
from srbench.testing.torch_reference import ssim_whole_image

SHAPES = [(11, 11), (12, 40), (41, 41), (37, 53), (100, 101), (75, 260), (260, 75)]


def _pair(h: int, w: int, seed: int) -> tuple[Tensor, Tensor]:
    """Integer-valued luminance pair (as the protocol produces), with a flat patch (VIFp's guards)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (h, w)).astype(np.float64)
    y = np.clip(x + rng.integers(-12, 13, (h, w)), 0, 255)
    y[: h // 3, : w // 3] = 90.0
    return torch.from_numpy(y), torch.from_numpy(x)


def _vif_whole(x: Tensor, y: Tensor, sigma_n_sq: float = 2.0, eps: float = 1e-8) -> Tensor:
    """VIFp (vifp_mscale.m guards, as piq), filtering each scale's whole image at once."""
    num = x.new_zeros(())
    den = x.new_zeros(())
    for j in range(4):
        size = 2 ** (4 - j) + 1
        g = _window(size)
        if j > 0:
            pair = _filter_valid(torch.stack([x, y]), g)[:, ::2, ::2]
            x, y = pair[0], pair[1]
        mu_x, mu_y, xx, yy, xy = _filter_valid(torch.stack([x, y, x * x, y * y, x * y]), g).unbind(0)
        sigma_x_sq = torch.relu(xx - mu_x * mu_x)
        sigma_y_sq = torch.relu(yy - mu_y * mu_y)
        sigma_xy = xy - mu_x * mu_y
        gain = sigma_xy / (sigma_y_sq + eps)
        sigma_v_sq = sigma_x_sq - gain * sigma_xy
        ref_ok = sigma_y_sq >= eps
        gain = torch.where(ref_ok, gain, 0.0)
        sigma_v_sq = torch.where(ref_ok, sigma_v_sq, sigma_x_sq)
        sigma_y_sq = torch.where(ref_ok, sigma_y_sq, 0.0)
        dist_ok = sigma_x_sq >= eps
        gain = torch.where(dist_ok, gain, 0.0)
        sigma_v_sq = torch.where(dist_ok, sigma_v_sq, 0.0)
        sigma_v_sq = torch.where(gain >= 0, sigma_v_sq, sigma_x_sq)
        gain = torch.relu(gain)
        sigma_v_sq = torch.where(sigma_v_sq > eps, sigma_v_sq, eps)
        num = num + torch.log10(1.0 + gain**2 * sigma_y_sq / (sigma_v_sq + sigma_n_sq)).sum()
        den = den + torch.log10(1.0 + sigma_y_sq / sigma_n_sq).sum()
    return (num + eps) / (den + eps)


@pytest.mark.parametrize("rows", [1, 3, 16, 64, 10_000])
def test_strip_filtering_equals_whole_image_filtering_bit_for_bit(rows: int) -> None:
    g = _gaussian_1d(11, 1.5, torch.float64, "cpu")
    for i, (h, w) in enumerate(SHAPES):
        x, y = _pair(h, w, i)
        stats = torch.stack([x, y, x * x, y * y, x * y])
        whole = _filter_valid(stats, g)
        strips = torch.empty_like(whole)
        for top, f in filtered_strips(stats, g, rows):
            strips[:, top : top + f.shape[1]] = f
        assert torch.equal(strips, whole), (h, w, rows)


@pytest.mark.parametrize("rows", [1, 7, 64])
def test_ssim_and_vif_in_strips_equal_the_whole_image_formulas_bit_for_bit(
    rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssim_module, "STRIP_ROWS", rows)
    monkeypatch.setenv("SRBENCH_KERNELS", "torch")  # the torch strips (the compiled kernel: tests/kernels)
    for i, (h, w) in enumerate(SHAPES):
        x, y = _pair(h, w, 10 + i)
        assert ssim(x[None, None], y[None, None]).item() == ssim_whole_image(x, y).item(), (h, w)
        if min(h, w) >= vif_module.MIN_SIZE:
            assert vif(x[None, None], y[None, None]).item() == _vif_whole(x, y).item(), (h, w)


def test_vif_whole_image_reference_here_equals_piq() -> None:
    """Anchors the reference above to piq, so the bit-for-bit test compares against an independent value."""
    import piq

    x, y = _pair(64, 80, 3)
    ours = _vif_whole(x, y).item()
    theirs = piq.vif_p(x[None, None] / 255, y[None, None] / 255, data_range=1.0, reduction="none").item()
    assert abs(ours - theirs) < 1e-10


@pytest.mark.parametrize("shape", [(48, 48), (49, 48), (48, 63), (61, 77), (128, 96)])
def test_noise_energy_by_parseval_equals_the_sum_over_spatial_even_filters(shape: tuple[int, int]) -> None:
    """Kovesi: sum_xy (sum_s g_s)^2 with g_s = Re(ifft2(G_s)) sqrt(HW); here from the transfer functions alone."""
    h, w = shape
    spectra = fsim_module.log_gabor_spectra(h, w)  # (orientations, scales, h, w) float64
    spatial = torch.fft.ifft2(spectra).real * math.sqrt(h * w)
    expected = spatial.sum(dim=1).square().sum(dim=(-2, -1))
    got = fsim_module.even_filter_energy(spectra.sum(dim=1))
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=0.0)
    # a transfer function that is not point-symmetric (the angular part) is what makes Re() matter
    assert not torch.allclose(spectra[1, 0], torch.roll(spectra[1, 0].flip(-2, -1), (1, 1), (-2, -1)))
