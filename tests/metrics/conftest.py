"""Fixtures of the deep-metric tests (LPIPS, DISTS): the staged VGG-16 weights and the reference packages' networks.

* ``shared_weights``: the weights root (``$SRBENCH_WEIGHTS``, else the data root's parent / ``weights``, as in
  ``tests/losses/conftest.py``); skips the requesting test when ``vgg16/vgg16_features.pth`` is not there.
* ``reference_vgg16``: a stand-in for ``torchvision.models.vgg16`` that builds torchvision's own ``features``
  layers and loads the staged state dict into them (no download); the reference packages call it as
  ``vgg16(pretrained=True).features``.
* ``rgb_pairs``: ``(sr, hr)``, three 64x96 RGB crops of scikit-image pictures in [0, 255] (float64, integer
  valued) and distorted versions of them (noise, blur, bicubic down/up-sampling), as ``(3, 3, 64, 96)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter


@pytest.fixture(scope="session")
def reference_vgg16(shared_weights: Path) -> Callable[..., SimpleNamespace]:
    from torchvision.models.vgg import cfgs, make_layers

    state = torch.load(shared_weights / "vgg16" / "vgg16_features.pth", map_location="cpu", weights_only=True)

    def vgg16(*args: object, **kwargs: object) -> SimpleNamespace:
        features = make_layers(cfgs["D"], batch_norm=False)
        features.load_state_dict(state)
        return SimpleNamespace(features=features)

    return vgg16


@pytest.fixture(scope="session")
def rgb_pairs() -> tuple[torch.Tensor, torch.Tensor]:
    hr = [
        np.asarray(skimage.data.astronaut(), dtype=np.float64)[60:124, 180:276],
        np.asarray(skimage.data.chelsea(), dtype=np.float64)[100:164, 150:246],
        np.asarray(skimage.data.coffee(), dtype=np.float64)[150:214, 250:346],
    ]
    rng = np.random.default_rng(7)
    noisy = hr[0] + rng.normal(0.0, 12.0, hr[0].shape)
    blurred = gaussian_filter(hr[1], sigma=(1.5, 1.5, 0), mode="reflect")
    small = Image.fromarray(hr[2].astype(np.uint8)).resize((24, 16), Image.Resampling.BICUBIC)
    updown = np.asarray(small.resize((96, 64), Image.Resampling.BICUBIC), dtype=np.float64)
    sr = [np.clip(np.round(a), 0, 255) for a in (noisy, blurred, updown)]
    return _batch(sr), _batch(hr)


def _batch(arrays: list[np.ndarray]) -> torch.Tensor:
    """(H, W, 3) arrays -> (N, 3, H, W) float64."""
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> None:
    """Every test here runs with one torch intra-op thread (see the root conftest)."""


@pytest.fixture(autouse=True)
def _weights_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """LPIPS / DISTS load VGG-16 through ``$SRBENCH_WEIGHTS``: tests using ``shared_weights`` get it pointed there."""
    if "shared_weights" in request.fixturenames:
        monkeypatch.setenv("SRBENCH_WEIGHTS", str(request.getfixturevalue("shared_weights")))


CALIBRA_IMAGES = ("I03", "I04", "I06", "I08", "I19")


@pytest.fixture(scope="session")
def iqa_calibra() -> Path:
    """IQA-PyTorch's ResultsCalibra folder (``ref_dir/``, ``dist_dir/``: five 512x384 TID2013 pairs as BMP).

    They ship only in the pyiqa 0.1.16 sdist (``.ci/run`` fetches it into ``.ci-cache/``); ``$SRBENCH_IQA_CALIBRA``
    points at it, else ``<data root>/../reference/iqa_calibra``. Skips when absent.
    """
    import os

    env = os.environ.get("SRBENCH_IQA_CALIBRA")
    data = os.environ.get("SRBENCH_DATA")
    root = Path(env).expanduser() if env else Path(data or ".").expanduser().parent / "reference" / "iqa_calibra"
    if not all((root / d / f"{n}.bmp").is_file() for d in ("ref_dir", "dist_dir") for n in CALIBRA_IMAGES):
        pytest.skip("needs IQA-PyTorch's ResultsCalibra images (pyiqa 0.1.16 sdist); set SRBENCH_IQA_CALIBRA")
    return root


@pytest.fixture(scope="session")
def astronaut_gray_pair() -> tuple[torch.Tensor, torch.Tensor]:
    """``(sr, hr)``: a 130 x 150 gray crop of astronaut (BT.601-ish luma, rounded) blurred, as ``(1, 1, H, W)``."""
    rgb = np.asarray(skimage.data.astronaut(), dtype=np.float64)[40:170, 180:330]
    hr = np.round(rgb @ np.array([0.299, 0.587, 0.114]))
    sr = np.clip(np.round(gaussian_filter(hr, 1.2, mode="reflect")), 0, 255)
    return torch.from_numpy(sr)[None, None], torch.from_numpy(hr)[None, None]
