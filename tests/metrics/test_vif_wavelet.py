"""Wavelet-domain VIF (``vif-wavelet``) against the official ``vifvec.m`` scores, and its building blocks.

Published values: IQA-PyTorch's ResultsCalibra ``results_official.csv`` (pyiqa 0.1.16 sdist), row ``vif``: the
authors' ``vifvec.m`` on ``rgb2gray`` of five TID2013 pairs (512 x 384), printed with 4 decimals
(I03 0.0172, I04 0.9891, I06 0.9924, I08 0.9103, I19 0.1745). MATLAB's ``rgb2gray`` of uint8 input returns uint8:
round(0.298936021293775 R + 0.587043074451121 G + 0.114020904255103 B), halves away from zero.

Second implementations of the parts: the block-centred box sums (pyrtools' ``corrDn``) against numpy's
'reflect' padding (the same 'reflect1' rule) and a sliding window; the GSM field against a direct per-block
quadratic form.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from srbench.metrics import METRICS
from srbench.metrics import vif_wavelet as vw
from srbench.metrics.vif_wavelet import vif_wavelet

OFFICIAL = {"I03": 0.0172, "I04": 0.9891, "I06": 0.9924, "I08": 0.9103, "I19": 0.1745}
RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])


def _rgb2gray(path: Path) -> torch.Tensor:
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
    return torch.from_numpy(np.floor(rgb @ RGB2GRAY + 0.5))[None, None]


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_reproduces_the_official_vifvec_scores_of_the_calibration_pairs(iqa_calibra: Path, name: str) -> None:
    dist = _rgb2gray(iqa_calibra / "dist_dir" / f"{name}.bmp")
    ref = _rgb2gray(iqa_calibra / "ref_dir" / f"{name}.bmp")
    got = vif_wavelet(dist, ref).item()
    published = OFFICIAL[name]
    assert abs(got - published) <= 0.5e-4 + 1e-12, (name, got, published)  # printed with 4 decimals


@pytest.fixture(scope="module")
def camera_pair() -> tuple[torch.Tensor, torch.Tensor]:
    hr = np.asarray(skimage.data.camera(), dtype=np.float64)[100:250, 120:300]
    sr = np.clip(np.round(gaussian_filter(hr, 1.5)), 0, 255)
    return torch.from_numpy(sr)[None, None], torch.from_numpy(hr)[None, None]


def test_identity_gives_one_and_the_score_is_not_symmetric(camera_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    sr, hr = camera_pair
    assert vif_wavelet(hr, hr.clone()).item() == pytest.approx(1.0, abs=1e-12)
    blurred = vif_wavelet(sr, hr).item()
    assert 0.0 < blurred < 1.0
    assert vif_wavelet(hr, sr).item() != pytest.approx(blurred, abs=1e-3)


def test_batches_score_each_image_alone(camera_pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    sr, hr = camera_pair
    both = vif_wavelet(torch.cat([sr, hr]), torch.cat([hr, hr]))
    assert both.dtype == torch.float64 and both.shape == (2,)
    assert both[0].item() == vif_wavelet(sr, hr).item()
    assert vif_wavelet(sr / 255, hr / 255, data_range=1.0).item() == pytest.approx(both[0].item(), abs=1e-12)


def test_subband_numbering_follows_ind2wtree() -> None:
    # ind2wtree: 1 = low-pass, 2..7 = coarsest level orientations 6..1, ..., 20..25 = finest, 26 = high-pass
    assert vw.wtree_band(2) == (3, 5) and vw.wtree_band(7) == (3, 0)
    assert [vw.wtree_band(s) for s in vw.SUBBANDS] == [(3, 3), (3, 0), (2, 3), (2, 0), (1, 3), (1, 0), (0, 3), (0, 0)]
    assert [2 ** vw._window_level(s) + 1 for s in vw.SUBBANDS] == [3, 3, 5, 5, 9, 9, 17, 17]


@pytest.mark.parametrize("size", [3, 5, 9, 17])
def test_block_sums_equal_reflect_padded_window_sums(size: int) -> None:
    rng = np.random.default_rng(size)
    a = rng.normal(size=(27, 33))
    half = size // 2
    padded = np.pad(a, half, mode="reflect")  # mirror about the edge pixel: corrDn's 'reflect1'
    windows = np.lib.stride_tricks.sliding_window_view(padded, (size, size)).sum(axis=(-2, -1))
    expected = windows[1 : a.shape[0] - 1 : 3, 1 : a.shape[1] - 1 : 3]
    np.testing.assert_allclose(vw._block_sums(a, size), expected, rtol=0, atol=1e-10)


def test_gsm_field_is_the_per_block_quadratic_form() -> None:
    rng = np.random.default_rng(3)
    ref = gaussian_filter(rng.normal(size=(18, 24)), 0.8)
    field, eigenvalues = vw.reference_gsm(ref)
    patches = np.stack([ref[i : i + 3, j : j + 3].ravel() for i in range(16) for j in range(22)])
    cov = np.cov(patches.T, bias=True)
    np.testing.assert_allclose(eigenvalues, np.linalg.eigvalsh(cov), rtol=1e-10)
    inv = np.linalg.inv(cov)
    for bi, bj in ((0, 0), (2, 5), (5, 7)):
        u = ref[3 * bi : 3 * bi + 3, 3 * bj : 3 * bj + 3].ravel()
        assert field[bi, bj] == pytest.approx(u @ inv @ u / 9, rel=1e-9)


def test_rejects_bad_input() -> None:
    ok = torch.full((1, 1, 80, 80), 100.0, dtype=torch.float64)
    with pytest.raises(ValueError, match="shapes differ"):
        vif_wavelet(ok, ok[..., :76])
    with pytest.raises(ValueError, match="smaller than the minimum 72x72"):
        vif_wavelet(ok[..., :71], ok[..., :71])
    with pytest.raises(ValueError, match="values must lie"):
        vif_wavelet(ok + 200, ok)


def test_registered_beside_vifp_under_its_own_name() -> None:
    wavelet, pixel = METRICS.get("vif-wavelet"), METRICS.get("vif")
    assert wavelet.fn is vif_wavelet and wavelet.space == "y" and wavelet.min_size == vw.MIN_SIZE
    assert wavelet.settings["sigma_n_sq"] == 0.4 and wavelet.settings["subbands"] == list(vw.SUBBANDS)
    assert "not VIFp" in wavelet.settings["variant"] and "VIFp" in pixel.settings["variant"]
