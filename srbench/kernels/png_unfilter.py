"""PNG scanline reconstruction (numba): the inflated image data of an 8-bit, non-interlaced PNG -> pixels.

Each row of the inflated stream is one filter-type byte followed by ``width * channels`` filtered bytes; the
reconstruction (PNG specification, ISO/IEC 15948, section 9.2, "Filter types"), with ``a`` the byte one pixel to
the left, ``b`` the byte above, ``c`` the byte above-left (0 outside the image), all modulo 256:

    0 None: x;  1 Sub: x + a;  2 Up: x + b;  3 Average: x + floor((a + b) / 2);  4 Paeth: x + P(a, b, c),
    P = the one of a, b, c closest to p = a + b - c (ties in the order a, b, c).

Used by :func:`srbench.data.imageio.read_image` after it has inflated and checked the stream itself; every
decoded file is pinned against PIL in tests/data (all of Set5, Set14, BSD100, each filter type for gray and RGB)
and the kernel against a plain-Python filter in tests/kernels. Invalid filter types (over 4) give ``None``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def _paeth(a, b, c):
    """The Paeth predictor, without branches: |p - a| = |b - c|, |p - b| = |a - c|, |p - c| = |a + b - 2c|."""
    pa = abs(b - c)
    pb = abs(a - c)
    pc = abs(a + b - 2 * c)
    return (a if pa <= pc else c) if pa <= pb else (b if pb <= pc else c)


@njit(nogil=True, cache=True)
def _paeth_row(data, start, prev, row, stride, bpp):
    if bpp == 3:  # RGB: the three channels' left and upper-left bytes stay in registers
        a0 = a1 = a2 = c0 = c1 = c2 = np.int32(0)
        for i in range(0, stride, 3):
            b0, b1, b2 = np.int32(prev[i]), np.int32(prev[i + 1]), np.int32(prev[i + 2])
            a0 = (np.int32(data[start + i]) + _paeth(a0, b0, c0)) & 0xFF
            a1 = (np.int32(data[start + i + 1]) + _paeth(a1, b1, c1)) & 0xFF
            a2 = (np.int32(data[start + i + 2]) + _paeth(a2, b2, c2)) & 0xFF
            row[i], row[i + 1], row[i + 2] = a0, a1, a2
            c0, c1, c2 = b0, b1, b2
        return
    for i in range(stride):
        if i >= bpp:
            a = np.int32(row[i - bpp])
            c = np.int32(prev[i - bpp])
        else:
            a = np.int32(0)
            c = np.int32(0)
        row[i] = (np.int32(data[start + i]) + _paeth(a, np.int32(prev[i]), c)) & 0xFF


@njit(nogil=True, cache=True)
def _unfilter(data, height, stride, bpp, out):
    zeros = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        prev = out[y - 1] if y > 0 else zeros
        base = y * (stride + 1)
        ftype = data[base]
        row = out[y]
        if ftype == 0:
            for i in range(stride):
                row[i] = data[base + 1 + i]
        elif ftype == 1:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (np.int32(data[base + 1 + i]) + left) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                row[i] = (np.int32(data[base + 1 + i]) + np.int32(prev[i])) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = np.int32(row[i - bpp]) if i >= bpp else 0
                row[i] = (np.int32(data[base + 1 + i]) + ((left + np.int32(prev[i])) >> 1)) & 0xFF
        elif ftype == 4:
            _paeth_row(data, base + 1, prev, row, stride, bpp)
        else:
            return False
    return True


def unfilter(scanlines: bytes, height: int, width: int, channels: int) -> np.ndarray | None:
    """Pixels ``(H, W, C)`` (``(H, W)`` for C = 1) uint8 from inflated PNG scanlines; None on an invalid filter type."""
    stride = width * channels
    data = np.frombuffer(scanlines, dtype=np.uint8)
    if data.shape[0] != height * (stride + 1):
        raise ValueError(f"unfilter: {data.shape[0]} bytes, expected {height * (stride + 1)}")
    out = np.empty((height, stride), dtype=np.uint8)
    if not _unfilter(data, height, stride, channels, out):
        return None
    return out.reshape(height, width, channels) if channels > 1 else out
