"""``psnr-rgb``: PSNR over the R, G, B channels, against scikit-image and the published ResultsCalibra PSNR.

ResultsCalibra (IQA-PyTorch, pyiqa 0.1.16 sdist) ``results_official.csv`` row ``psnr``: scikit-image's
``peak_signal_noise_ratio`` on the RGB arrays of five TID2013 pairs, printed with 2 decimals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio

from srbench.metrics import METRICS

OFFICIAL = {"I03": 21.11, "I04": 20.99, "I06": 27.01, "I08": 23.30, "I19": 21.62}


def _rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1)[None]


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_reproduces_the_resultscalibra_psnr(iqa_calibra: Path, name: str) -> None:
    dist, ref = _rgb(iqa_calibra / "dist_dir" / f"{name}.bmp"), _rgb(iqa_calibra / "ref_dir" / f"{name}.bmp")
    got = METRICS.get("psnr-rgb").fn(_t(dist), _t(ref)).item()
    assert abs(got - OFFICIAL[name]) <= 0.005 + 1e-9, (name, got)


def test_equals_scikit_image_on_three_channels(rgb_pairs: tuple[torch.Tensor, torch.Tensor]) -> None:
    sr, hr = rgb_pairs
    got = METRICS.get("psnr-rgb").fn(sr, hr)
    for i in range(sr.shape[0]):
        a, b = (t[i].permute(1, 2, 0).numpy().astype(np.uint8) for t in (sr, hr))
        assert got[i].item() == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), abs=1e-10)
    # float32 input (the evaluation's RGB path) gives the same value
    assert torch.allclose(METRICS.get("psnr-rgb").fn(sr.float(), hr.float()), got, rtol=0, atol=1e-10)


def test_is_a_distinct_rgb_metric() -> None:
    spec, y = METRICS.get("psnr-rgb"), METRICS.get("psnr")
    assert spec.space == "rgb" and y.space == "y" and spec.decimals == 2
    assert spec.settings != y.settings and "R, G, B" in spec.settings["channels"]
