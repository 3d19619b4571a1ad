"""DISTS against the official DISTS scores, against the original ``DISTS_pytorch`` package, and its properties.

Published values: the official DISTS code's scores of the five TID2013 calibration pairs of IQA-PyTorch
(``ResultsCalibra/results_original.csv`` of github.com/chaofengc/IQA-PyTorch, ``results_official.csv`` in the
pyiqa 0.1.16 sdist, row ``dists``: I03 0.4742, I04 0.1424, I06 0.06825, I08 0.02867, I19 0.3123). The ten
512x384 BMPs ship in the PyPI sdist of ``pyiqa`` 0.1.16 (``ResultsCalibra/ref_dir``, ``dist_dir``), not in any
wheel, so that test needs them staged:
``$SRBENCH_IQA_CALIBRA`` or ``<weights root>/../reference/iqa_calibra`` holding ``ref_dir/`` and ``dist_dir/``.

Second implementation: ``DISTS_pytorch.DISTS()`` from PyPI ``dists-pytorch`` 0.1 (the authors' code), its
torchvision VGG-16 replaced by torchvision's own layers holding the staged ImageNet weights (no download).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from srbench.metrics import METRICS
from srbench.metrics import perceptual_weights as pw
from srbench.metrics.dists import MIN_SIZE, WEIGHTS_FILE, WEIGHTS_SHA256, dists, l2_pool

REFERENCE_TOL = 1e-5  # asked for; observed <= 1e-7 (both compute in float32)
# ResultsCalibra/results_original.csv (IQA-PyTorch), computed with the official DISTS code
OFFICIAL = {"I03": 0.4742, "I04": 0.1424, "I06": 0.06825, "I08": 0.02867, "I19": 0.3123}


@pytest.fixture(scope="module")
def original_dists(reference_vgg16: Callable[..., SimpleNamespace]) -> torch.nn.Module:
    import torchvision

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torchvision.models, "vgg16", reference_vgg16)
        import DISTS_pytorch

        net = DISTS_pytorch.DISTS(load_weights=False)
    weights = torch.load(pw.package_file("DISTS_pytorch", WEIGHTS_FILE, "dists-pytorch", WEIGHTS_SHA256))
    net.alpha.data, net.beta.data = weights["alpha"], weights["beta"]
    return net.eval()


@pytest.fixture(scope="module")
def calibra(shared_weights: Path) -> Path:
    env = os.environ.get("SRBENCH_IQA_CALIBRA")
    root = Path(env).expanduser() if env else shared_weights.parent / "reference" / "iqa_calibra"
    if not all((root / d / f"{n}.bmp").is_file() for d in ("ref_dir", "dist_dir") for n in OFFICIAL):
        pytest.skip("needs IQA-PyTorch's ResultsCalibra images (pyiqa 0.1.16 sdist); set SRBENCH_IQA_CALIBRA")
    return root


def _read_rgb(path: Path) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)).permute(2, 0, 1)[None]


@pytest.mark.parametrize("name", ["I04", "I06", "I19"])
def test_reproduces_the_official_dists_scores_of_the_tid2013_calibration_pairs(calibra: Path, name: str) -> None:
    dist, ref = _read_rgb(calibra / "dist_dir" / f"{name}.bmp"), _read_rgb(calibra / "ref_dir" / f"{name}.bmp")
    got = dists(dist.float(), ref.float()).item()
    published = OFFICIAL[name]
    # the table prints 4 significant digits: agree to half a unit in the last one
    half_ulp = 0.5 * 10.0 ** (np.floor(np.log10(published)) - 3)
    assert abs(got - published) <= half_ulp + 1e-9, (name, got, published)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_equals_the_original_dists_package_on_distorted_photos(
    original_dists: torch.nn.Module, rgb_pairs: tuple[torch.Tensor, torch.Tensor], dtype: torch.dtype
) -> None:
    sr, hr = rgb_pairs
    with torch.no_grad():  # the package takes RGB in [0, 1]
        expected = original_dists(sr.float() / 255, hr.float() / 255).flatten().double()
    got = dists(sr.to(dtype), hr.to(dtype))
    assert got.dtype == torch.float64 and got.shape == (3,)
    assert expected.min() > 0.01
    torch.testing.assert_close(got, expected, rtol=0, atol=REFERENCE_TOL)


def test_identical_images_give_about_zero(shared_weights: Path, rgb_pairs: tuple[torch.Tensor, torch.Tensor]) -> None:
    hr = rgb_pairs[1].float()
    assert dists(hr, hr.clone()).abs().max() < 1e-6


def test_batch_equals_per_image_and_is_symmetric(
    shared_weights: Path, rgb_pairs: tuple[torch.Tensor, torch.Tensor]
) -> None:
    sr, hr = (t.float() for t in rgb_pairs)
    batch = dists(sr, hr)
    single = torch.cat([dists(sr[i : i + 1], hr[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batch, single, rtol=0, atol=1e-6)
    torch.testing.assert_close(dists(hr, sr), batch, rtol=0, atol=1e-6)


def test_l2_pool_of_a_constant_is_the_constant_inside_and_zero_padded_at_the_border() -> None:
    # per axis the window weights are (1/4, 1/2, 1/4); an output row at the zero-padded border keeps 3/4 of them,
    # so the pooled square is c^2 * 3/4 per border axis, and the output c * sqrt(3/4) per border axis
    c = 3.0
    out = l2_pool(torch.full((1, 2, 6, 6), c, dtype=torch.float64))
    per_axis = torch.tensor([0.75**0.5, 1.0, 1.0], dtype=torch.float64)
    assert out.shape == (1, 2, 3, 3)
    torch.testing.assert_close(out[0, 1], c * torch.outer(per_axis, per_axis), rtol=0, atol=1e-12)


def test_bad_shapes_and_too_small_images_raise_value_error() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        dists(torch.zeros(1, 3, 32, 32), torch.zeros(2, 3, 32, 32))
    small = torch.zeros(2, 3, 40, MIN_SIZE - 1)
    with pytest.raises(ValueError, match=f"at least {MIN_SIZE}x{MIN_SIZE}"):
        dists(small, small)


def test_registered_as_an_rgb_distance_with_pinned_weights() -> None:
    spec = METRICS.get("dists")
    assert spec.fn is dists and spec.space == "rgb" and not spec.higher_is_better and spec.min_size == MIN_SIZE
    assert spec.settings["alpha_beta_sha256"] == WEIGHTS_SHA256
    assert spec.settings["vgg16_tensor_sha256"] == pw.VGG16_TENSOR_SHA256
