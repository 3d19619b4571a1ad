"""SSIM of one pair of luminance images in one compiled pass (numba), for the 11-tap window of Wang's ``ssim_index``.

The formula is :func:`srbench.metrics.ssim.ssim`'s. For each pair of output rows (sharing 10 of their 12 input
rows), the five statistics x, y, x^2, y^2, xy are filtered vertically, then horizontally, with the 11 taps of the
separable Gaussian accumulated one by one in the same order as the torch code (no fused multiply-add), so each
filtered value equals the torch value bit for bit; the SSIM map row is then formed and summed (four partial
sums), and the row sums added up. Only the order of that final mean differs from torch's ``mean()`` (a relative
difference of order 1e-16).

Why a kernel: the torch version makes ~120 passes over float64 planes per image (one axpy per tap, statistic
and axis), each streaming through the cache; here every output row is filtered while its input rows are in the
L1/L2 cache, with the taps held in registers: 1.2-1.3 ms instead of 5.6-7.3 ms for a 312 x 472 pair on one
2-core AMD EPYC thread.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from srbench.kernels import SSIM_TAPS as TAPS


@njit(inline="always")
def _t11(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, g):
    """sum_i g[i] a_i, accumulated left to right as ``y = a0 g0; y += a_i g_i``."""
    return (
        (
            (((((((a0 * g[0] + a1 * g[1]) + a2 * g[2]) + a3 * g[3]) + a4 * g[4]) + a5 * g[5]) + a6 * g[6]) + a7 * g[7])
            + a8 * g[8]
        )
        + a9 * g[9]
    ) + a10 * g[10]


@njit(inline="always")
def _pair(p, g):
    """The 11-tap sums of ``p[0:11]`` and ``p[1:12]``: two consecutive output rows from 12 loaded input rows."""
    return (
        _t11(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], g),
        _t11(p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], g),
    )


@njit(inline="always")
def _rows12(a, b, r, last, j):
    """Products ``a[i, j] * b[i, j]`` of rows r .. r + 10 and ``last`` (r + 11, or a valid row when unused)."""
    return (
        a[r, j] * b[r, j], a[r + 1, j] * b[r + 1, j], a[r + 2, j] * b[r + 2, j], a[r + 3, j] * b[r + 3, j],
        a[r + 4, j] * b[r + 4, j], a[r + 5, j] * b[r + 5, j], a[r + 6, j] * b[r + 6, j],
        a[r + 7, j] * b[r + 7, j], a[r + 8, j] * b[r + 8, j], a[r + 9, j] * b[r + 9, j],
        a[r + 10, j] * b[r + 10, j], a[last, j] * b[last, j],
    )  # fmt: skip


@njit(inline="always")
def _rows12_1(a, r, last, j):
    return (
        a[r, j], a[r + 1, j], a[r + 2, j], a[r + 3, j], a[r + 4, j], a[r + 5, j],
        a[r + 6, j], a[r + 7, j], a[r + 8, j], a[r + 9, j], a[r + 10, j], a[last, j],
    )  # fmt: skip


@njit(nogil=True, cache=True)
def _ssim_mean_11(x, y, g, c1, c2):
    h, w = x.shape
    oh, ow = h - TAPS + 1, w - TAPS + 1
    v = np.empty((2, 5, w))  # vertical sums of the five statistics for two output rows
    f = np.empty((5, ow))
    m = np.empty(ow)
    total = 0.0
    for r in range(0, oh, 2):
        rows = 2 if r + 1 < oh else 1
        last = min(r + 11, h - 1)  # row r + 11 feeds only the second output row
        va, vb = v[0], v[1]
        for j in range(w):
            va[0, j], vb[0, j] = _pair(_rows12_1(x, r, last, j), g)
        for j in range(w):
            va[1, j], vb[1, j] = _pair(_rows12_1(y, r, last, j), g)
        for j in range(w):
            va[2, j], vb[2, j] = _pair(_rows12(x, x, r, last, j), g)
        for j in range(w):
            va[3, j], vb[3, j] = _pair(_rows12(y, y, r, last, j), g)
        for j in range(w):
            va[4, j], vb[4, j] = _pair(_rows12(x, y, r, last, j), g)
        for k in range(rows):
            vk = v[k]
            for q in range(5):
                vq = vk[q]
                fq = f[q]
                for j in range(ow):
                    fq[j] = _t11(
                        vq[j], vq[j + 1], vq[j + 2], vq[j + 3], vq[j + 4], vq[j + 5],
                        vq[j + 6], vq[j + 7], vq[j + 8], vq[j + 9], vq[j + 10], g,
                    )  # fmt: skip
            f0, f1, f2, f3, f4 = f[0], f[1], f[2], f[3], f[4]
            for j in range(ow):
                mu_x = f0[j]
                mu_y = f1[j]
                mu_xx = mu_x * mu_x
                mu_yy = mu_y * mu_y
                mu_xy = mu_x * mu_y
                num = (2 * mu_xy + c1) * (2 * (f4[j] - mu_xy) + c2)
                den = (mu_xx + mu_yy + c1) * ((f2[j] - mu_xx) + (f3[j] - mu_yy) + c2)
                m[j] = num / den
            s0 = s1 = s2 = s3 = 0.0  # four partial sums: independent additions
            j = 0
            while j + 4 <= ow:
                s0 += m[j]
                s1 += m[j + 1]
                s2 += m[j + 2]
                s3 += m[j + 3]
                j += 4
            while j < ow:
                s0 += m[j]
                j += 1
            total += (s0 + s1) + (s2 + s3)
    return total / (oh * ow)


def ssim_mean(x: np.ndarray, y: np.ndarray, taps: np.ndarray, c1: float, c2: float) -> float:
    """Mean SSIM map of two ``(H, W)`` float64 images with the separable window ``taps`` (11 values).

    Same definitions as :func:`srbench.metrics.ssim.ssim` ('valid' filtering, population covariances).
    """
    if taps.shape != (TAPS,):
        raise ValueError(f"ssim_mean: the compiled kernel takes an {TAPS}-tap window, got {taps.shape}")
    if x.shape != y.shape or x.ndim != 2 or min(x.shape) < TAPS:
        raise ValueError(f"ssim_mean: needs two equal 2-D images of at least {TAPS}x{TAPS}, got {x.shape}, {y.shape}")
    xs = np.ascontiguousarray(x, dtype=np.float64)
    ys = np.ascontiguousarray(y, dtype=np.float64)
    return float(_ssim_mean_11(xs, ys, tuple(float(t) for t in taps), float(c1), float(c2)))
