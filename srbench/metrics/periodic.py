"""Periodic-artifact energy: how much of an image is a pattern repeating every ``period`` pixels.

Strided transposed convolutions (the Johnson et al. 2016 network upsamples with three of them at x8) tend to print
a grid pattern of their stride's period into the output: the "checkerboard artifacts" of Odena, Dumoulin & Olah,
*Deconvolution and Checkerboard Artifacts*, Distill 2016. The paper adds total-variation regularisation (section
3.3) against such high-frequency noise. This module measures it, to choose and justify the TV weight.

Definition. For an image ``x`` of ``H x W`` pixels (``H``, ``W`` multiples of ``p``) let the *period-p mean tile*
be ``m[a, b] = mean{x[i, j] : i = a (mod p), j = b (mod p)}`` and ``q[i, j] = m[i mod p, j mod p]`` its periodic
extension, the orthogonal projection of ``x`` onto the images of period ``p``. Then

    periodic_energy(x, p) = sum_ij (q[i, j] - mean(x))^2 / sum_ij (x[i, j] - mean(x))^2,

the fraction of the image's variance that repeats every ``p`` pixels in both directions. By Parseval it equals the
share of the non-DC spectral energy on the lattice of frequencies ``(k H / p, l W / p)``; the tests check the two
forms against each other. A natural photo has almost none (about ``(p^2 - 1) / (H W)`` for white noise); a pure
``p``-periodic pattern has 1. Reported per image; compare an SR output with its ground truth (their ratio is the
excess the network prints).
"""

from __future__ import annotations

import torch
from torch import Tensor


def periodic_energy(x: Tensor, period: int) -> Tensor:
    """Fraction of each image's variance that is periodic with ``period`` (see the module docstring).

    Args:
        x: ``(N, C, H, W)`` with ``H`` and ``W`` multiples of ``period``; channels are pooled (variances summed).
        period: the pattern period in pixels (the upsampling stride, or the scale for a stack of them).

    Returns:
        float64 ``(N,)`` in ``[0, 1]``; 0 for a constant image.
    """
    if x.ndim != 4:
        raise ValueError(f"periodic_energy expects (N, C, H, W), got {tuple(x.shape)}")
    n, c, h, w = x.shape
    if period < 1 or h % period or w % period:
        raise ValueError(f"image {h}x{w} is not a whole number of {period}x{period} tiles; mod-crop it first")
    x = x.to(torch.float64)
    centred = x - x.mean(dim=(2, 3), keepdim=True)
    tiles = centred.reshape(n, c, h // period, period, w // period, period)
    tile_mean = tiles.mean(dim=(2, 4))  # (N, C, p, p)
    periodic = tile_mean.pow(2).sum(dim=(1, 2, 3)) * (h // period) * (w // period)
    total = centred.pow(2).sum(dim=(1, 2, 3))
    return torch.where(total > 0, periodic / total.clamp_min(torch.finfo(torch.float64).tiny), torch.zeros_like(total))
