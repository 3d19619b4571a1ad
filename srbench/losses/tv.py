"""Total variation regulariser (Johnson et al. 2016, section 3.3; fast-neural-style ``TotalVariation.lua``).

Squared (beta = 2) anisotropic TV over the same domain as fast-neural-style (FNS): for every image,

    TV(x) = sum_{c, i < H-1, j < W-1} (x[c,i,j] - x[c,i,j+1])^2 + (x[c,i,j] - x[c,i+1,j])^2

(the last row's horizontal and the last column's vertical differences are not included, exactly as FNS).

**Normalisation chosen by srbench**: summed over channels and pixels (not averaged, like FNS), on RGB values on
[0, 1], and **averaged over the batch** (like the pixel and feature losses, so the weight does not depend on the
batch size). The total loss gets ``tv_weight * TV``.

**Converting FNS strengths.** FNS adds to the gradient that of ``0.5 * s * sum_batch TV_255`` (``s`` =
``-tv_strength``, default 1e-6), on the network output in its preprocessed space (BGR, x255, mean-subtracted;
the mean and the channel order cancel in differences, so ``TV_255 = 255^2 TV``). With batch size N:

* identical TV gradient (absolute): ``tv_weight = s * 255^2 * N / 2`` (= 0.130 for s = 1e-6, N = 4);
* identical balance against a pixel loss (FNS's pixel loss is also on 0-255 values, 255^2 times srbench's, and a
  constant factor on the whole loss does not change Adam's steps): ``tv_weight = s * N / 2`` (= 2e-6 for the
  defaults; the ``johnson2016`` recipe's value).

For the feature loss there is no exact conversion: FNS's loss network is the Caffe VGG-16 on 0-255 input, srbench
uses torchvision's on ImageNet-normalised [0, 1] input (conventions section 6.2).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

#: a tv_weight reproducing an FNS ``-tv_strength`` s at batch size N (see the module docstring)
FNS_ABSOLUTE_FACTOR = 255.0**2 / 2.0


def fns_tv_weight(strength: float, batch_size: int, relative_to_pixel_loss: bool = True) -> float:
    """The srbench ``tv_weight`` equivalent to fast-neural-style's ``-tv_strength`` at ``batch_size``.

    ``relative_to_pixel_loss=True`` keeps the ratio to a pixel loss (``s N / 2``); ``False`` reproduces the
    absolute gradient (``s 255^2 N / 2``).
    """
    factor = 0.5 if relative_to_pixel_loss else FNS_ABSOLUTE_FACTOR
    return strength * batch_size * factor


def tv_loss(x: Tensor) -> Tensor:
    """Squared anisotropic TV of ``(N, C, H, W)`` over FNS's domain, summed per image, mean over the batch."""
    if x.ndim != 4:
        raise ValueError(f"tv_loss expects (N, C, H, W), got {tuple(x.shape)}")
    x = x.to(torch.promote_types(x.dtype, torch.float32))
    core = x[:, :, :-1, :-1]
    dx = core - x[:, :, :-1, 1:]
    dy = core - x[:, :, 1:, :-1]
    return (dx.pow(2) + dy.pow(2)).flatten(1).sum(dim=1).mean()


class TVLoss(nn.Module):
    """``weight * tv_loss(x)``."""

    def __init__(self, weight: float = 1.0) -> None:
        super().__init__()
        self.weight = float(weight)

    def forward(self, x: Tensor) -> Tensor:
        return self.weight * tv_loss(x)
