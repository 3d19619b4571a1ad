"""Straightforward torch forms of srbench's metrics, for tests of the faster ones (strips, compiled kernels)."""

from __future__ import annotations

import torch
from torch import Tensor

from srbench.metrics.ssim import K1, K2, SIGMA, WINDOW, L, _filter_valid, _gaussian_1d


def ssim_whole_image(x: Tensor, y: Tensor) -> Tensor:
    """Wang's ``ssim_index`` mean map of two ``(H, W)`` float64 images, filtering the whole image at once.

    mu = w * x (valid), sigma_x^2 = w * x^2 - mu_x^2, sigma_xy = w * xy - mu_x mu_y;
    SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)).
    """
    g = _gaussian_1d(WINDOW, SIGMA, torch.float64, "cpu")
    c1, c2 = (K1 * L) ** 2, (K2 * L) ** 2
    mu_x, mu_y, xx, yy, xy = _filter_valid(torch.stack([x, y, x * x, y * y, x * y]), g).unbind(0)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    num = (2 * mu_xy + c1) * (2 * (xy - mu_xy) + c2)
    den = (mu_xx + mu_yy + c1) * ((xx - mu_xx) + (yy - mu_yy) + c2)
    return (num / den).mean()
