"""LPIPS (VGG, v0.1) against the original ``lpips`` package run with the same VGG-16, plus its properties.

Second implementation: ``lpips.LPIPS(net='vgg', version='0.1')`` from PyPI ``lpips`` 0.1.4 (the authors' code),
its torchvision VGG-16 replaced by torchvision's own layers holding the staged ImageNet weights (no download).

Published values: none usable offline was found for the VGG trunk. The authors' README and ``test_network.py``
print distances for the AlexNet trunk only, on ``imgs/ex_*.png`` which ship neither in the wheel nor in the sdist;
IQA-PyTorch's calibration table (``ResultsCalibra/results_original.csv``) lists LPIPS-Alex only. The VGG trunk
and the input scaling are pinned against published numbers through DISTS instead (``test_dists.py``), which uses
the same VGG-16 and the same normalisation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from srbench.errors import ConfigError
from srbench.metrics import METRICS
from srbench.metrics import perceptual_weights as pw
from srbench.metrics.lpips import LIN_FILE, LIN_SHA256, MIN_SIZE, lpips
from srbench.metrics.perceptual_weights import chunks

REFERENCE_TOL = 1e-5  # asked for; observed <= 1e-7 (both compute in float32)


@pytest.fixture(scope="module")
def original_lpips(reference_vgg16: Callable[..., SimpleNamespace]) -> torch.nn.Module:
    import torchvision

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torchvision.models, "vgg16", reference_vgg16)
        import lpips as lpips_package

        return lpips_package.LPIPS(net="vgg", version="0.1", verbose=False).eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_equals_the_original_lpips_package_on_distorted_photos(
    original_lpips: torch.nn.Module, rgb_pairs: tuple[torch.Tensor, torch.Tensor], dtype: torch.dtype
) -> None:
    sr, hr = rgb_pairs
    with torch.no_grad():  # the package takes RGB in [-1, 1]
        expected = original_lpips(sr.float() / 127.5 - 1, hr.float() / 127.5 - 1).flatten().double()
    got = lpips(sr.to(dtype), hr.to(dtype))
    assert got.dtype == torch.float64 and got.shape == (3,)
    assert expected.min() > 0.01  # real distortions, not a trivially small distance
    torch.testing.assert_close(got, expected, rtol=0, atol=REFERENCE_TOL)


def test_identical_images_give_exactly_zero(shared_weights: Path, rgb_pairs: tuple[torch.Tensor, torch.Tensor]) -> None:
    hr = rgb_pairs[1].float()
    assert lpips(hr, hr.clone()).tolist() == [0.0, 0.0, 0.0]


def test_batch_equals_per_image_and_is_symmetric(
    shared_weights: Path, rgb_pairs: tuple[torch.Tensor, torch.Tensor]
) -> None:
    sr, hr = (t.float() for t in rgb_pairs)
    batch = lpips(sr, hr)
    single = torch.cat([lpips(sr[i : i + 1], hr[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(batch, single, rtol=0, atol=1e-6)
    torch.testing.assert_close(lpips(hr, sr), batch, rtol=0, atol=1e-6)


def test_grey_input_equals_the_grey_image_replicated_to_rgb(
    shared_weights: Path, rgb_pairs: tuple[torch.Tensor, torch.Tensor]
) -> None:
    sr, hr = (t[:, 1:2].float() for t in rgb_pairs)
    torch.testing.assert_close(lpips(sr, hr), lpips(sr.repeat(1, 3, 1, 1), hr.repeat(1, 3, 1, 1)), rtol=0, atol=0)


def test_chunks_cover_the_batch_in_order_with_at_least_one_image_each() -> None:
    assert chunks(5, 100, 100, pixels=20_000) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    assert chunks(2, 1000, 1000, pixels=10) == [slice(0, 1), slice(1, 2)]


def test_bad_shapes_and_too_small_images_raise_value_error() -> None:
    x = torch.zeros(1, 3, 32, 32)
    with pytest.raises(ValueError, match="shapes differ"):
        lpips(x, torch.zeros(1, 3, 32, 31))
    with pytest.raises(ValueError, match="expected"):
        lpips(torch.zeros(1, 2, 32, 32), torch.zeros(1, 2, 32, 32))
    small = torch.zeros(1, 3, MIN_SIZE - 1, 40)
    with pytest.raises(ValueError, match=f"at least {MIN_SIZE}x{MIN_SIZE}"):
        lpips(small, small)


def test_registered_as_an_rgb_distance_with_pinned_weights() -> None:
    spec = METRICS.get("lpips")
    assert spec.fn is lpips and spec.space == "rgb" and not spec.higher_is_better and spec.min_size == MIN_SIZE
    assert spec.settings["linear_layers_sha256"] == LIN_SHA256
    assert spec.settings["vgg16_tensor_sha256"] == pw.VGG16_TENSOR_SHA256
    assert METRICS.get("psnr").space == "y"


def test_installed_linear_layers_match_the_pinned_sha256() -> None:
    path = pw.package_file("lpips", LIN_FILE, "lpips", LIN_SHA256)
    assert path.name == "vgg.pth" and pw.sha256_file(path) == LIN_SHA256


def test_missing_package_or_changed_file_is_a_one_line_config_error() -> None:
    with pytest.raises(ConfigError, match="pip install no-such-dist") as err:
        pw.package_file("srbench_no_such_package", "w.pth", "no-such-dist", "0" * 64)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="force-reinstall lpips"):
        pw.package_file("lpips", LIN_FILE, "lpips", "0" * 64)


def test_other_vgg16_weights_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from srbench.losses.vgg import vgg16_features_module

    torch.manual_seed(0)
    monkeypatch.setattr(pw, "load_vgg16_features", lambda: vgg16_features_module("cpu"))
    with pytest.raises(ConfigError, match="not torchvision's IMAGENET1K_V1"):
        pw.load_checked_vgg16()


def test_importing_srbench_loads_no_network_and_no_reference_package() -> None:
    code = (
        "import sys, srbench, srbench.metrics, srbench.cli\n"
        "from srbench.metrics import lpips, dists\n"
        "assert not any(m == 'lpips' or m.startswith(('lpips.', 'DISTS_pytorch')) for m in sys.modules)\n"
        "assert lpips._cpu_net.cache_info().currsize == 0 and dists._cpu_net.cache_info().currsize == 0\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
