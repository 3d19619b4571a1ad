"""One 1-D pass of MATLAB ``imresize`` (numba): each output line is a weighted sum of P input lines.

``out[b, i, :] = sum_k w[i, k] * x[b, ind[i, k], :]`` (rows) and ``out[b, :, i] = sum_k w[i, k] * x[b, :, ind[i, k]]``
(columns), with the tap tables of :func:`srbench.protocol.imresize._contributions`. Products are added one tap
at a time, in tap order, with no fused multiply-add: the same arithmetic as the torch pass
(:func:`srbench.protocol.imresize._resize_rows`) and MATLAB's MEX loop, so the outputs equal them bit for bit
(pinned by tests, so that exact .5 ties still round as MATLAB's do on the uint8 path).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _rows(x, ind, w, out):
    n, _, width = x.shape
    o_len, taps = ind.shape
    for b in range(n):
        for i in range(o_len):
            dst = out[b, i]
            src = x[b, ind[i, 0]]
            w0 = w[i, 0]
            for j in range(width):
                dst[j] = src[j] * w0
            for k in range(1, taps):
                src = x[b, ind[i, k]]
                wk = w[i, k]
                for j in range(width):
                    dst[j] = dst[j] + src[j] * wk
    return out


@njit(nogil=True, cache=True)
def _cols(x, ind, w, out):
    n, height, _ = x.shape
    o_len, taps = ind.shape
    if taps == 4:  # cubic upscaling: the taps unrolled (half the time), same sum in the same order
        for b in range(n):
            for r in range(height):
                src = x[b, r]
                dst = out[b, r]
                for i in range(o_len):
                    dst[i] = ((src[ind[i, 0]] * w[i, 0] + src[ind[i, 1]] * w[i, 1]) + src[ind[i, 2]] * w[i, 2]) + src[
                        ind[i, 3]
                    ] * w[i, 3]
        return out
    for b in range(n):
        for r in range(height):
            src = x[b, r]
            dst = out[b, r]
            for i in range(o_len):
                acc = src[ind[i, 0]] * w[i, 0]
                for k in range(1, taps):
                    acc = acc + src[ind[i, k]] * w[i, k]
                dst[i] = acc
    return out


def resize_pass(x: np.ndarray, ind: np.ndarray, w: np.ndarray, axis: int) -> np.ndarray:
    """Resize ``(..., H, W)`` float64 along ``axis`` (-2: rows, -1: columns) with tap tables ``ind``, ``w`` ``(O, P)``.

    Returns a new C-contiguous float64 array with that axis of length O.
    """
    if axis not in (-2, -1):
        raise ValueError(f"resize_pass: axis must be -2 or -1, got {axis}")
    lead = x.shape[:-2]
    h, wd = x.shape[-2:]
    xs = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, h, wd)
    ind64 = np.ascontiguousarray(ind, dtype=np.int64)
    w64 = np.ascontiguousarray(w, dtype=np.float64)
    if ind64.size and (ind64.min() < 0 or ind64.max() >= (h if axis == -2 else wd)):
        raise ValueError("resize_pass: tap index out of range")
    o_len = ind64.shape[0]
    if axis == -2:
        out = np.empty((xs.shape[0], o_len, wd))
        _rows(xs, ind64, w64, out)
        return out.reshape(*lead, o_len, wd)
    out = np.empty((xs.shape[0], h, o_len))
    _cols(xs, ind64, w64, out)
    return out.reshape(*lead, h, o_len)
