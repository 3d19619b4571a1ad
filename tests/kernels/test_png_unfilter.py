"""The compiled PNG unfilter kernel (srbench.kernels.png_unfilter) against a plain-Python PNG filter.

read_image only passes 1 or 3 channels (pinned against PIL in tests/data/test_imageio_fast_png.py); here the
kernel is also run with 2 and 4 bytes a pixel (its general path), and its None / ValueError answers are checked.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba", reason="numba is not installed: the compiled kernels are off")

from srbench.kernels.png_unfilter import unfilter


def _filter(img: np.ndarray, filters: list[int]) -> bytes:
    """PNG scanlines of ``img`` (H, W, C), row ``r`` filtered with type ``filters[r]`` (PNG spec, 9.2)."""
    height, width, bpp = img.shape
    rows = [[int(v) for v in row] for row in img.reshape(height, width * bpp)]
    out = bytearray()
    for r, cur in enumerate(rows):
        up = rows[r - 1] if r else [0] * len(cur)
        kind = filters[r]
        out.append(kind)
        for i, x in enumerate(cur):
            a = cur[i - bpp] if i >= bpp else 0
            b, c = up[i], (up[i - bpp] if i >= bpp else 0)
            p = a + b - c
            paeth = a if abs(p - a) <= min(abs(p - b), abs(p - c)) else (b if abs(p - b) <= abs(p - c) else c)
            out.append((x - (0, a, b, (a + b) // 2, paeth)[kind]) % 256)
    return bytes(out)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (30, 7)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_unfilter_inverts_every_filter_type(channels: int, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(channels * 100 + shape[0] + shape[1])
    for values in (np.arange(256, dtype=np.uint8), np.array([0, 1, 2, 127, 128, 254, 255], np.uint8)):
        img = rng.choice(values, (*shape, channels))
        for filters in ([k] * shape[0] for k in range(5)):
            out = unfilter(_filter(img, filters), shape[0], shape[1], channels)
            expected = img if channels > 1 else img[:, :, 0]
            assert out is not None and out.dtype == np.uint8 and out.flags.c_contiguous
            assert out.shape == expected.shape and np.array_equal(out, expected), filters
        mixed = [int(k) for k in rng.integers(0, 5, shape[0])]
        assert np.array_equal(unfilter(_filter(img, mixed), *shape, channels), expected)


@pytest.mark.parametrize("byte", [5, 6, 128, 255])
@pytest.mark.parametrize("row", [0, 3, 5])
def test_an_invalid_filter_type_gives_none(byte: int, row: int) -> None:
    img = np.random.default_rng(byte).integers(0, 256, (6, 4, 3), dtype=np.uint8)
    lines = bytearray(_filter(img, [4] * 6))
    lines[row * (1 + 4 * 3)] = byte
    assert unfilter(bytes(lines), 6, 4, 3) is None


def test_scanlines_of_the_wrong_length_are_refused() -> None:
    lines = _filter(np.zeros((2, 3, 3), np.uint8), [0, 0])
    for bad in (lines[:-1], lines + b"\x00"):
        with pytest.raises(ValueError, match="expected 20"):
            unfilter(bad, 2, 3, 3)
