"""srbench VIFp against piq.vif_p (independent reference): batch, identity, argument order, minimum size."""

from __future__ import annotations

import numpy as np
import piq
import pytest
import skimage.data
import torch
from scipy.ndimage import gaussian_filter

from srbench.metrics import METRICS
from srbench.metrics.vif import MIN_SIZE, vif


def _t(*arrays: np.ndarray) -> torch.Tensor:
    """(H, W) arrays -> (N, 1, H, W) float64."""
    return torch.from_numpy(np.stack([np.ascontiguousarray(a, dtype=np.float64) for a in arrays]))[:, None]


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(np.round(gaussian_filter(img, sigma, mode="reflect")), 0, 255)


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return np.asarray(skimage.data.camera(), dtype=np.float64)


def test_equals_piq_vif_p_per_image_on_a_batch(camera: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    hrs = [camera[:96, :130], camera[200:296, 100:230], camera[400:496, 300:430]]
    srs = [
        _blur(hrs[0], 1.5),
        np.clip(np.round(hrs[1] + rng.normal(0, 10, hrs[1].shape)), 0, 255),
        np.clip(np.round(0.8 * hrs[2] + 20), 0, 255),
    ]
    x, y = _t(*srs), _t(*hrs)
    expected = piq.vif_p(x / 255, y / 255, sigma_n_sq=2.0, data_range=1.0, reduction="none")
    got = vif(x, y)
    assert got.dtype == torch.float64 and got.shape == (3,)
    # own separable float64 filtering vs piq's 2-D conv2d: equal up to float summation order
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)
    assert ((got > 0.1) & (got < 1.0)).all()


def test_identical_images_score_one(camera: np.ndarray) -> None:
    # 1 up to piq's eps = 1e-8 in g = sigma_xy / (sigma_y^2 + eps) (observed 1 - 3e-8); exactly 1 when flat
    x = _t(camera[:64, :80], camera[100:164, 100:180], np.full((64, 80), 100.0))
    got = vif(x, x.clone())
    assert torch.allclose(got, torch.ones(3, dtype=torch.float64), rtol=0, atol=1e-6)
    assert got[2].item() == 1.0


def test_not_symmetric_first_argument_is_the_distorted_image(camera: np.ndarray) -> None:
    hr = camera[150:250, 150:270]
    blurred = _t(_blur(hr, 2.0))
    ref = _t(hr)
    forward = vif(blurred, ref).item()  # the blurred image given the sharp reference (observed 0.333)
    backward = vif(ref, blurred).item()  # roles swapped: a different question, a different number (0.390)
    assert 0.2 < forward < 0.5 and 0.2 < backward < 0.5
    assert abs(forward - backward) > 0.03
    assert vif(blurred, ref).item() == forward  # deterministic


def test_rejects_images_smaller_than_41_pixels() -> None:
    assert MIN_SIZE == 41
    ok = torch.full((1, 1, 41, 41), 100.0, dtype=torch.float64)
    assert vif(ok, ok).shape == (1,)
    for h, w in ((40, 41), (41, 40), (16, 16)):
        small = torch.full((1, 1, h, w), 100.0, dtype=torch.float64)
        with pytest.raises(ValueError, match="smaller than the minimum 41x41"):
            vif(small, small)


def test_rejects_mismatched_shapes_and_out_of_range_values() -> None:
    a = torch.full((1, 1, 48, 48), 100.0, dtype=torch.float64)
    with pytest.raises(ValueError, match="shapes differ"):
        vif(a, a[..., :47])
    with pytest.raises(ValueError, match="values must lie"):
        vif(a + 200, a)


def test_registry_entry() -> None:
    spec = METRICS.get("vif")
    assert spec.label == "VIFp (pixel domain)"
    assert spec.fn is vif and spec.min_size == 41 and spec.decimals == 4 and spec.higher_is_better
    assert spec.settings["sigma_n_sq"] == 2.0
    assert spec.settings["order"] == "x=distorted, y=reference"
    assert "piq.vif_p" in spec.settings["implementation"]


def test_equals_piq_on_natural_images_of_benchmark_size() -> None:
    """A bicubic x4 reconstruction of astronaut's luminance at BSD100 size (320 x 480), both argument orders."""
    from srbench.protocol.colour import rgb_to_y
    from srbench.protocol.imresize import imresize

    rgb = torch.from_numpy(np.asarray(skimage.data.astronaut(), dtype=np.float64)[:320, :480]).permute(2, 0, 1)
    y = rgb_to_y(rgb[None])
    sr = (imresize(imresize(y / 255, 1 / 4), 4) * 255).clamp(0, 255).round()
    for a, b in ((sr, y), (y, sr)):
        expected = piq.vif_p(a / 255, b / 255, sigma_n_sq=2.0, data_range=1.0, reduction="none")
        torch.testing.assert_close(vif(a, b), expected, rtol=0, atol=1e-10)
