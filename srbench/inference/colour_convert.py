"""Full YCbCr conversions as MATLAB ``rgb2ycbcr`` / ``ycbcr2rgb`` (ITU-R BT.601, studio swing), on [0, 255].

:mod:`srbench.protocol.colour` computes the luminance only, because scoring needs nothing else. Writing a colour
output of a luminance-only method (bicubic, SRCNN) needs all three channels and the inverse: the SR Y is
recombined with bicubically upscaled chroma, as the SRCNN authors' colour results are made.

Forward (conventions section 2.1), for R, G, B on [0, 255]::

    [Y, Cb, Cr] = [16, 128, 128] + T [R, G, B] / 255,   T = [[ 65.481, 128.553,  24.966],
                                                             [-37.797, -74.203, 112.0  ],
                                                             [112.0,   -93.786, -18.214]]

so Y lies on [16, 235] and Cb, Cr on [16, 240]. MATLAB's ``rgb2ycbcr.m`` scales the matrix first
(``(1/255) * T``) and accumulates ``T(1) R + T(2) G + T(3) B + offset`` left to right (``imlincomb``); the same
order is used here, so the Y channel is bit-identical to :func:`srbench.protocol.colour.rgb_to_y` with
``rounding='float'``.

Inverse (MATLAB ``ycbcr2rgb.m``): ``[R, G, B] = 255 T^-1 ([Y, Cb, Cr] - [16, 128, 128])``, evaluated as MATLAB does
for uint8 data, ``M = 255 T^-1``, ``offset = M [16, 128, 128]``, ``R = M11 Y + M12 Cb + M13 Cr - offset1``
(the BasicSR form ``R = 298.082 Y / 256 + 408.583 Cr / 256 - 222.921`` is this with coefficients rounded to
1/256 steps). Values are not rounded or clamped: callers clamp and round once at the end.

``skimage.color.rgb2ycbcr`` / ``ycbcr2rgb`` use the same matrix and offsets (with RGB on [0, 1]); the tests pin
agreement to 1e-9.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

#: MATLAB's ``origT`` of rgb2ycbcr.m / ycbcr2rgb.m (BT.601, studio swing, RGB on [0, 1] to YCbCr on [0, 255])
T_BT601 = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ]
)
OFFSET = np.array([16.0, 128.0, 128.0])

_FORWARD = (1.0 / 255.0) * T_BT601  # MATLAB: scaleFactor.uint8.T * origT
_INVERSE = 255.0 * np.linalg.inv(T_BT601)  # MATLAB: scaleFactor.uint8.T * Tinv
_INVERSE_OFFSET = _INVERSE @ OFFSET  # MATLAB: scaleFactor.uint8.offset * Tinv * offset (both 255)


def _check(x: Tensor, what: str) -> Tensor:
    if x.ndim < 3 or x.shape[-3] != 3:
        raise ValueError(f"{what} expects 3 channels at dim -3, got shape {tuple(x.shape)}")
    return x.to(torch.float64)


def _lincomb(x: Tensor, m: np.ndarray, offset: np.ndarray, sign: float) -> Tensor:
    a, b, c = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    rows = [float(m[p, 0]) * a + float(m[p, 1]) * b + float(m[p, 2]) * c + sign * float(offset[p]) for p in range(3)]
    return torch.cat(rows, dim=-3)


def rgb_to_ycbcr(rgb: Tensor) -> Tensor:
    """MATLAB ``rgb2ycbcr`` of ``rgb`` ``(..., 3, H, W)`` on [0, 255]: Y, Cb, Cr on [0, 255], float64, unrounded."""
    return _lincomb(_check(rgb, "rgb_to_ycbcr"), _FORWARD, OFFSET, 1.0)


def ycbcr_to_rgb(ycbcr: Tensor) -> Tensor:
    """MATLAB ``ycbcr2rgb`` of ``ycbcr`` ``(..., 3, H, W)`` on [0, 255]: R, G, B on [0, 255], float64, unclamped."""
    return _lincomb(_check(ycbcr, "ycbcr_to_rgb"), _INVERSE, _INVERSE_OFFSET, -1.0)
