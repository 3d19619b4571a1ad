"""Per-pixel steps of the scoring pipeline in one compiled pass each (numba), for the CPU.

* :func:`luminance`: ``Y = ((t1 R + t2 G) + t3 B) + 16`` (rounded half away from zero when asked), straight from
  the decoded uint8 image: :func:`srbench.protocol.colour.rgb_to_y`'s arithmetic in its order, so equal bit for bit;
* :func:`quantize`: ``floor(clamp(255 x, 0, 255) + 0.5)``, the uint8 rounding of an SR output on [0, 1]
  (:func:`srbench.evaluate.pipeline.sr_to_y`), equal bit for bit;
* :func:`squared_error_sums`: per image ``sum (a - b)^2`` in float64 for PSNR. For integer-valued images (the
  protocol's rounded Y) every partial sum is an exact integer, so any summation order gives the same value.

The torch forms stay the reference and the GPU path; each pass here replaces 3-6 torch passes over float64
planes (and their temporaries).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _luminance(rgb, t1, t2, t3, offset, rounding, out):
    n, _, h, w = rgb.shape
    for b in range(n):
        for i in range(h):
            r_row = rgb[b, 0, i]
            g_row = rgb[b, 1, i]
            b_row = rgb[b, 2, i]
            o = out[b, 0, i]
            for j in range(w):
                y = ((t1 * np.float64(r_row[j]) + t2 * np.float64(g_row[j])) + t3 * np.float64(b_row[j])) + offset
                o[j] = np.floor(y + 0.5) if rounding else y
    return out


@njit(nogil=True, cache=True)
def _quantize(x, out):
    flat_in = x.reshape(-1)
    flat_out = out.reshape(-1)
    for k in range(flat_in.shape[0]):
        v = float(flat_in[k]) * 255.0
        v = min(max(v, 0.0), 255.0)
        flat_out[k] = np.floor(v + 0.5)
    return out


@njit(nogil=True, cache=True)
def _squared_error_sums(a, b, out):
    n, c, h, w = a.shape
    for k in range(n):
        total = 0.0
        for ch in range(c):
            for i in range(h):
                ar = a[k, ch, i]
                br = b[k, ch, i]
                row = 0.0
                for j in range(w):
                    d = np.float64(ar[j]) - np.float64(br[j])
                    row += d * d
                total += row
        out[k] = total
    return out


def luminance(rgb: np.ndarray, coeffs: tuple[float, float, float], offset: float, rounding: bool) -> np.ndarray:
    """``(N, 3, H, W)`` (uint8 or float) -> ``(N, 1, H, W)`` float64 ``((t1 R + t2 G) + t3 B) + offset``."""
    if rgb.ndim != 4 or rgb.shape[1] != 3:
        raise ValueError(f"luminance: expects (N, 3, H, W), got {rgb.shape}")
    n, _, h, w = rgb.shape
    out = np.empty((n, 1, h, w))
    t1, t2, t3 = (float(c) for c in coeffs)
    return _luminance(np.ascontiguousarray(rgb), t1, t2, t3, float(offset), bool(rounding), out)


def quantize(x: np.ndarray) -> np.ndarray:
    """``floor(clamp(255 x, 0, 255) + 0.5)`` of an array on [0, 1], as float64 of the same shape."""
    xs = np.ascontiguousarray(x)
    return _quantize(xs, np.empty(xs.shape))


def squared_error_sums(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-image ``sum (a - b)^2`` of two ``(N, C, H, W)`` arrays, float64 ``(N,)`` (any strides)."""
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"squared_error_sums: needs two equal (N, C, H, W) arrays, got {a.shape}, {b.shape}")
    return _squared_error_sums(a, b, np.empty(a.shape[0]))
