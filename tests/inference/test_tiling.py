"""Tiled inference equals untiled inference when the overlap covers the receptive field.

Johnson x4's SR pixels of LR pixel p depend on LR pixels p - 13 .. p + 14 (srbench.tiling), so with the
cut in the middle of the shared band an overlap of 27 is the minimum for exactness. Tolerances: float32 1e-5 on
[0, 1] values (the same arithmetic, but convolution kernels may block and sum differently for different input
sizes; measured 6e-8), float64 1e-12 (measured bit-identical on CPU).
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from srbench.errors import ConfigError
from srbench.models import build_model
from srbench.protocol.imresize import imresize
from srbench.tiling import check_tiling, tile_spans, upscale_tiled


def _johnson(dtype: torch.dtype = torch.float32, channels: int = 8) -> nn.Module:
    """A small random-init Johnson x4 in eval mode with random batch-norm statistics.

    8 channels instead of 64 keep the test fast; the receptive field does not depend on the width.
    """
    torch.manual_seed(0)
    m = build_model("johnson", scale=4, channels=channels)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            assert mod.running_mean is not None and mod.running_var is not None
            mod.running_mean.uniform_(-0.5, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)
    return m.to(dtype).eval()


@pytest.fixture(scope="module")
def johnson32() -> tuple[nn.Module, Tensor, Tensor]:
    m = _johnson()
    x = torch.rand(1, 3, 100, 70, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return m, x, m(x)


def test_tiled_equals_untiled_johnson_float32(johnson32: tuple[nn.Module, Tensor, Tensor]) -> None:
    m, x, full = johnson32
    with torch.no_grad():
        tiled = upscale_tiled(m, x, 4, tile=40, overlap=28)
    assert tiled.shape == full.shape == (1, 3, 400, 280)
    diff = (tiled - full).abs().max().item()
    assert diff <= 1e-5, diff


def test_too_small_overlap_differs(johnson32: tuple[nn.Module, Tensor, Tensor]) -> None:
    m, x, full = johnson32
    with torch.no_grad():
        tiled = upscale_tiled(m, x, 4, tile=40, overlap=8)
    assert (tiled - full).abs().max().item() > 1e-3  # the seams show: the equality test above can fail


def test_overlap_27_is_the_exact_minimum_float64() -> None:
    m = _johnson(torch.float64)
    x = torch.rand(1, 3, 60, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        full = m(x)  # 60 rows: tiles at rows 0, 13 (or 14), 20; 30 columns: one tile
        assert (upscale_tiled(m, x, 4, tile=40, overlap=27) - full).abs().max().item() <= 1e-12
        assert (upscale_tiled(m, x, 4, tile=40, overlap=26) - full).abs().max().item() > 1e-10


def test_bicubic_tiled_equals_untiled() -> None:
    x = torch.rand(2, 1, 37, 29, dtype=torch.float64, generator=torch.Generator().manual_seed(3))

    def fn(t: Tensor) -> Tensor:
        return imresize(t, 3, kernel="cubic", path="double")

    full = fn(x)
    tiled = upscale_tiled(fn, x, 3, tile=12, overlap=4)  # bicubic reaches 2 LR pixels
    assert (tiled - full).abs().max().item() <= 1e-12


def test_small_image_goes_through_untiled() -> None:
    calls: list[tuple[int, ...]] = []

    def fn(t: Tensor) -> Tensor:
        calls.append(tuple(t.shape))
        return t.repeat_interleave(2, -1).repeat_interleave(2, -2)

    x = torch.rand(1, 3, 20, 30)
    assert torch.equal(upscale_tiled(fn, x, 2, tile=30, overlap=8), fn(x))
    assert calls[0] == (1, 3, 20, 30) and len(calls) == 2
    calls.clear()
    upscale_tiled(fn, x, 2, tile=0)
    assert calls == [(1, 3, 20, 30)]


@pytest.mark.parametrize("tile,overlap", [(10, 0), (10, 4), (10, 5), (16, 9), (7, 6)])
def test_spans_partition_and_margins(tile: int, overlap: int) -> None:
    for n in range(1, 60):
        spans = tile_spans(n, tile, overlap)
        assert spans[0][2] == 0 and spans[-1][3] == n
        for i, (s, e, k0, k1) in enumerate(spans):
            assert e - s == min(tile, n) and s >= 0 and e <= n and s <= k0 < k1 <= e
            if i:
                assert k0 == spans[i - 1][3]
                assert k0 - s >= overlap // 2  # left margin from the tile's interior edge
            if i < len(spans) - 1:
                assert e - k1 >= overlap // 2


def test_bad_tiling_options() -> None:
    for tile, overlap in ((16, 16), (16, 20), (-1, 0), (16, -1)):
        with pytest.raises(ConfigError) as exc:
            check_tiling(tile, overlap)
        assert "\n" not in str(exc.value)
    check_tiling(None, 8)
    check_tiling(0, 8)
