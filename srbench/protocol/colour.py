"""Colour conversion as MATLAB ``rgb2ycbcr`` (ITU-R BT.601, studio swing), luminance only.

For R, G, B in [0, 255]:  Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, so Y lies in [16, 235].
MATLAB returns uint8 (rounded half away from zero) for uint8 input, which is what SRCNN's ``demo_SR.m`` and the
headline literature numbers use (``rounding='round'``); ``rounding='float'`` keeps the double value, as
``rgb2ycbcr(im2double(.))`` in RCAN/EDSR test codes and BasicSR do (conventions section 2.1-2.2).
MATLAB's ``rgb2ycbcr.m`` scales the matrix first, ``T = (1/255) * origT``, then ``imlincomb`` accumulates
T(1) R + T(2) G + T(3) B + 16 left to right in double precision and rounds once; srbench does the same, in the
same order with the same coefficients, because the last bit decides how the exact ties (Y = k + 0.5, e.g. RGB
(146, 124, 97)) round.

Grayscale images are handled on purpose (Set14 ``bridge`` is single-channel): ``gray_to_y`` either uses the gray
value as Y, as SRCNN/VDSR do (``'as-y'``), or replicates it to RGB first, as RCAN's MATLAB code does
(``'replicate'``: Y = 16 + 219 v / 255).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor

from srbench import kernels

Rounding = Literal["round", "float"]
GrayMode = Literal["as-y", "replicate"]

Y_COEFFS = (65.481, 128.553, 24.966)
Y_OFFSET = 16.0
# full-range luma, used only to reduce an RGB output of a gray input (R = G = B gives exactly the gray value)
LUMA_FULL = (0.299, 0.587, 0.114)


def round_half_away(x: Tensor) -> Tensor:
    """MATLAB's rounding for nonnegative values: floor(x + 0.5)."""
    return torch.floor(x + 0.5)


def to_uint8_values(x: Tensor) -> Tensor:
    """MATLAB's double-to-uint8 conversion of values on [0, 255]: saturate, then round half away from zero."""
    return round_half_away(x.clamp(0.0, 255.0))


def rgb_to_y(rgb: Tensor, rounding: Rounding = "round") -> Tensor:
    """BT.601 studio-range luminance of ``rgb`` ``(N, 3, H, W)`` on [0, 255]; returns ``(N, 1, H, W)`` float64.

    With ``rounding='round'`` the result is MATLAB's uint8 ``rgb2ycbcr`` output (integer values).
    """
    if rgb.shape[-3] != 3:
        raise ValueError(f"rgb_to_y expects 3 channels, got shape {tuple(rgb.shape)}")
    if rounding not in ("round", "float"):
        raise ValueError(f"unknown rounding {rounding!r}")
    t1, t2, t3 = ((1 / 255) * c for c in Y_COEFFS)  # MATLAB: scaleFactor.uint8.T * origT
    if rgb.ndim == 4 and kernels.usable(rgb):
        from srbench.kernels.pointwise_cpu import luminance as luminance_compiled

        # one pass from the decoded dtype (uint8), same arithmetic in the same order: equal bit for bit
        return torch.from_numpy(luminance_compiled(rgb.numpy(), (t1, t2, t3), Y_OFFSET, rounding == "round"))
    x = rgb.to(torch.float64)
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    y = t1 * r + t2 * g + t3 * b + Y_OFFSET
    if rounding == "round":
        return round_half_away(y)
    if rounding == "float":
        return y
    raise ValueError(f"unknown rounding {rounding!r}")


def gray_to_y(gray: Tensor, mode: GrayMode = "as-y", rounding: Rounding = "round") -> Tensor:
    """Luminance of a single-channel image ``(N, 1, H, W)`` on [0, 255] under the chosen convention."""
    x = gray.to(torch.float64)
    if mode == "as-y":
        return x
    if mode == "replicate":
        return rgb_to_y(x.expand(*x.shape[:-3], 3, *x.shape[-2:]), rounding)
    raise ValueError(f"unknown grayscale mode {mode!r}")


def luminance(image: Tensor, *, gray_source: bool, gray: GrayMode, rounding: Rounding) -> Tensor:
    """Y of an image ``(N, C, H, W)`` on [0, 255] whose ground truth was gray (``gray_source``) or colour.

    * colour source: ``rgb_to_y``.
    * gray source, ``'as-y'``: a 1-channel image is its own Y; a 3-channel output of a gray input is reduced
      with full-range luma (for R = G = B this returns the gray value exactly), rounded if ``rounding='round'``.
    * gray source, ``'replicate'``: 1-channel images are replicated to RGB, then ``rgb_to_y``.
    """
    c = image.shape[-3]
    if not gray_source:
        if c != 3:
            raise ValueError("a colour ground truth needs a 3-channel image to compare with")
        return rgb_to_y(image, rounding)
    if gray == "replicate":
        rgb = image if c == 3 else image.expand(*image.shape[:-3], 3, *image.shape[-2:])
        return rgb_to_y(rgb, rounding)
    if c == 1:
        return image.to(torch.float64)
    x = image.to(torch.float64)
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    y = LUMA_FULL[0] * r + LUMA_FULL[1] * g + LUMA_FULL[2] * b
    y = torch.where((r == g) & (g == b), r, y)  # exactly the gray value where R = G = B (no ulp drift)
    return round_half_away(y) if rounding == "round" else y
