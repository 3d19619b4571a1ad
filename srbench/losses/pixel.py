"""Pixel loss of Johnson et al. 2016 (paper section 3.3).

l_pixel(y_hat, y) = ||y_hat - y||_2^2 / (C H W) per image, averaged over the batch; equal to the mean squared
error over all N C H W values. Images are RGB on [0, 1] in srbench; fast-neural-style computed it on 0-255
values (a factor 255^2 larger, which only rescales the total loss and so does not change Adam's steps beyond
its eps).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def pixel_loss(y_hat: Tensor, y: Tensor) -> Tensor:
    """Mean over the batch of ``||y_hat - y||^2 / (C H W)``, computed in float32 (or float64 if given)."""
    if y_hat.shape != y.shape:
        raise ValueError(f"pixel_loss: shapes differ, {tuple(y_hat.shape)} vs {tuple(y.shape)}")
    dtype = torch.promote_types(torch.promote_types(y_hat.dtype, y.dtype), torch.float32)
    diff = y_hat.to(dtype) - y.to(dtype)
    return diff.pow(2).flatten(1).mean(dim=1).mean()


class PixelLoss(nn.Module):
    """:func:`pixel_loss` as a module."""

    def forward(self, y_hat: Tensor, y: Tensor) -> Tensor:
        return pixel_loss(y_hat, y)
