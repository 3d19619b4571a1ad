"""BT.601 luminance against scikit-image's ``rgb2ycbcr`` and exact integer arithmetic.

Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 (conventions 2.1). In thousandths this is the integer
S = 65481 R + 128553 G + 24966 B, Y = 16 + S / 255000, so whether a colour sits exactly on a .5 tie is decided
exactly: S mod 255000 == 127500 (194 of the 256^3 colours). Away from those ties the rounded Y is unique; on a
tie the double-precision sum lands one ulp either side of .5 and either neighbour is a defensible MATLAB answer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from skimage.color import rgb2ycbcr

from srbench.protocol.colour import gray_to_y, luminance, rgb_to_y

pytestmark = pytest.mark.usefixtures("kernel_backend")  # compiled kernels and torch, same values


def _exact_sum(rgb: np.ndarray) -> np.ndarray:
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return 65481 * r + 128553 * g + 24966 * b


def _tie_colours() -> np.ndarray:
    """Every 8-bit colour whose exact Y is an odd multiple of 0.5."""
    v = np.arange(256, dtype=np.int64)
    g, b = np.meshgrid(v, v, indexing="ij")
    found = []
    for r in range(256):
        s = 65481 * r + 128553 * g + 24966 * b
        hit = (s % 255000) == 127500
        found.append(np.stack([np.full(int(hit.sum()), r), g[hit], b[hit]], axis=-1))
    return np.concatenate(found).astype(np.uint8)


@pytest.fixture(scope="module")
def colours() -> np.ndarray:
    """100k random colours, the 8 cube corners and every exact-tie colour, as a (N, 3) uint8 array."""
    rng = np.random.default_rng(2016)
    sample = rng.integers(0, 256, (100_000, 3), dtype=np.uint8)
    corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], dtype=np.uint8)
    return np.concatenate([sample, corners, _tie_colours()])


def _srbench_y(rgb: np.ndarray, rounding: str) -> np.ndarray:
    t = torch.from_numpy(rgb.astype(np.float64).T.copy()).reshape(1, 3, 1, -1)
    return rgb_to_y(t, rounding).numpy().reshape(-1)  # type: ignore[arg-type]


def test_there_are_194_exact_tie_colours() -> None:
    ties = _tie_colours()
    assert len(ties) == 194
    assert [146, 124, 97] in ties.tolist()  # Set5 butterfly and Set14 monarch hold this colour


def test_float_y_equals_skimage_rgb2ycbcr(colours: np.ndarray) -> None:
    sk = rgb2ycbcr(colours.reshape(-1, 1, 3))[..., 0].reshape(-1)
    assert_allclose(_srbench_y(colours, "float"), sk, rtol=0, atol=1e-9)
    # and the exact rational value
    assert_allclose(_srbench_y(colours, "float"), 16 + _exact_sum(colours) / 255000, rtol=0, atol=1e-9)


def test_rounded_y_equals_skimage_rounded_half_up_except_on_exact_ties(colours: np.ndarray) -> None:
    sk = rgb2ycbcr(colours.reshape(-1, 1, 3))[..., 0].reshape(-1)
    ours = _srbench_y(colours, "round")
    tie = (_exact_sum(colours) % 255000) == 127500
    assert tie.sum() >= 194  # every tie colour is in the set (the random sample may hold more)
    assert_array_equal(ours[~tie], np.floor(sk[~tie] + 0.5))
    # exact integer rounding half up (MATLAB's uint8 conversion) away from ties
    assert_array_equal(ours[~tie], 16 + (_exact_sum(colours[~tie]) + 127500) // 255000)
    # on a tie: one of the two neighbours
    lo = 16 + _exact_sum(colours[tie]) // 255000
    assert np.all((ours[tie] == lo) | (ours[tie] == lo + 1))


def test_y_range_is_16_to_235(colours: np.ndarray) -> None:
    y = _srbench_y(colours, "round")
    assert y.min() >= 16 and y.max() <= 235
    black_white = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    assert_array_equal(_srbench_y(black_white, "round"), [16, 235])
    assert_allclose(_srbench_y(black_white, "float"), [16, 235], rtol=0, atol=1e-12)


def test_rgb_to_y_keeps_batch_shape_and_rejects_non_rgb() -> None:
    x = torch.zeros(2, 3, 5, 7, dtype=torch.float64)
    assert tuple(rgb_to_y(x).shape) == (2, 1, 5, 7)
    with pytest.raises(ValueError):
        rgb_to_y(torch.zeros(2, 1, 5, 7))


def test_gray_as_y_returns_the_gray_value() -> None:
    v = torch.arange(256, dtype=torch.float64).view(1, 1, 1, 256)
    assert_array_equal(gray_to_y(v, "as-y").numpy().ravel(), np.arange(256))


@pytest.mark.parametrize("rounding", ["round", "float"])
def test_gray_replicate_gives_16_plus_219_v_over_255(rounding: str) -> None:
    v = np.arange(256)
    y = gray_to_y(torch.from_numpy(v.astype(np.float64)).view(1, 1, 1, 256), "replicate", rounding).numpy().ravel()  # type: ignore[arg-type]
    if rounding == "round":
        # 219 v / 255 is never exactly k + 0.5 (219 v and 255 are integers), so the integer rounding is unique
        assert_array_equal(y, 16 + (219 * v + 127) // 255)
    else:
        assert_allclose(y, 16 + 219 * v / 255, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rounding", ["round", "float"])
def test_luminance_of_rgb_gray_image_as_y_returns_the_gray_value_exactly(rounding: str) -> None:
    v = torch.arange(256, dtype=torch.float64).view(1, 1, 1, 256)
    rgb = v.expand(1, 3, 1, 256)
    y = luminance(rgb, gray_source=True, gray="as-y", rounding=rounding)  # type: ignore[arg-type]
    assert_array_equal(y.numpy().ravel(), np.arange(256))


def test_luminance_of_single_channel_gray_source() -> None:
    v = torch.arange(256, dtype=torch.float64).view(1, 1, 1, 256)
    assert_array_equal(luminance(v, gray_source=True, gray="as-y", rounding="round").numpy().ravel(), np.arange(256))
    replicated = luminance(v, gray_source=True, gray="replicate", rounding="round").numpy().ravel()
    assert_array_equal(replicated, 16 + (219 * np.arange(256) + 127) // 255)
    with pytest.raises(ValueError):
        luminance(v, gray_source=False, gray="as-y", rounding="round")
