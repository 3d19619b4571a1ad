"""Degradations as named, versioned protocols: how an HR image becomes the LR input of a method.

* ``bicubic`` (v1): MATLAB ``imresize(hr, 1/s, 'bicubic')``, antialiased. This is the standard benchmark LR
  behind every Set5 / Set14 / BSD100 table (conventions sections 0 and 1).
* ``blur-bicubic`` (v1): Gaussian blur with sigma = 1.0, then the same bicubic downscale. This is the training
  degradation of Johnson et al. 2016, section 4.2 ("Gaussian blur of width sigma = 1.0, then bicubic
  downsampling"); the paper states neither kernel size nor border, so srbench fixes them:

  - kernel size 7 x 7 = 2 ceil(3 sigma) + 1: it keeps 99.7 % of the mass per axis (the truncated tails are
    renormalised away), and it is MATLAB ``fspecial('gaussian', 7, 1)``, separable;
  - symmetric border (edge pixel repeated), the same fold ``imresize`` uses, so the blur neither darkens nor
    brightens the border rows that the downscale then reads.
  - on the uint8 path the blurred image is rounded to uint8 before the downscale, as MATLAB ``imfilter`` on
    uint8 returns uint8.

Both take an HR tensor ``(N, C, H, W)`` with values on [0, 255] (mod-cropped, so H and W are multiples of s)
and return the LR on [0, 1] as float64: on the ``'double'`` path the image is divided by 255 first and never
quantised (MATLAB ``im2double`` then ``imresize``); on the ``'uint8'`` path the resize rounds after each pass
(MATLAB on uint8 input) and the result is divided by 255.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from srbench.protocol.colour import to_uint8_values
from srbench.protocol.imresize import Border, Path, imresize
from srbench.registry import Registry

BLUR_SIGMA = 1.0
BLUR_SIZE = 2 * math.ceil(3 * BLUR_SIGMA) + 1


@functools.lru_cache(maxsize=8)
def gaussian_kernel_1d(size: int, sigma: float) -> Tensor:
    """Normalised 1-D factor of MATLAB ``fspecial('gaussian', size, sigma)`` (float64, CPU)."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def gaussian_blur(image: Tensor, sigma: float = BLUR_SIGMA, size: int = BLUR_SIZE) -> Tensor:
    """Separable Gaussian blur of ``(N, C, H, W)`` in float64 with a symmetric (half-sample) border.

    out = g_h * (g_w * x), g = the normalised sampled Gaussian of ``gaussian_kernel_1d``.
    """
    x = image.to(torch.float64)
    n, c, h, w = x.shape
    r = size // 2
    if h <= r or w <= r:
        raise ValueError(f"gaussian_blur: image {h}x{w} is too small for a {size}x{size} kernel")
    g = gaussian_kernel_1d(size, sigma).to(x.device)
    y = x.reshape(n * c, 1, h, w)
    # symmetric padding with the edge repeated = numpy 'symmetric' = torch 'reflect' of an edge-duplicated image
    y = torch.cat([y[..., :r, :].flip(-2), y, y[..., -r:, :].flip(-2)], dim=-2)
    y = torch.cat([y[..., :, :r].flip(-1), y, y[..., :, -r:].flip(-1)], dim=-1)
    y = F.conv2d(y, g.view(1, 1, -1, 1))
    y = F.conv2d(y, g.view(1, 1, 1, -1))
    return y.reshape(n, c, h, w)


DegradeFn = Callable[[Tensor, int, Path, Border], Tensor]


@dataclass(frozen=True)
class Degradation:
    """A named, versioned degradation; ``fn(hr_0_255, scale, path, border) -> lr_0_1``."""

    name: str
    version: int
    description: str
    fn: DegradeFn

    def __call__(self, hr: Tensor, scale: int, path: Path = "double", border: Border = "symmetric") -> Tensor:
        h, w = hr.shape[-2:]
        if h % scale or w % scale:
            raise ValueError(f"{self.name}: HR size {h}x{w} is not a multiple of the scale {scale}; modcrop first")
        return self.fn(hr, scale, path, border)

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def _bicubic(hr: Tensor, scale: int, path: Path, border: Border) -> Tensor:
    if path == "double":
        return imresize(hr.to(torch.float64) / 255.0, 1 / scale, path="double", border=border)
    return imresize(to_uint8_values(hr.to(torch.float64)), 1 / scale, path="uint8", border=border) / 255.0


def _blur_bicubic(hr: Tensor, scale: int, path: Path, border: Border) -> Tensor:
    blurred = gaussian_blur(hr)
    if path == "uint8":
        blurred = to_uint8_values(blurred)
    return _bicubic(blurred, scale, path, border)


DEGRADATIONS: Registry[Degradation] = Registry("degradation")
DEGRADATIONS.add(
    "bicubic",
    Degradation("bicubic", 1, "MATLAB imresize bicubic (antialiased) downscale by 1/s", _bicubic),
)
DEGRADATIONS.add(
    "blur-bicubic",
    Degradation(
        "blur-bicubic",
        1,
        f"Gaussian blur sigma={BLUR_SIGMA} ({BLUR_SIZE}x{BLUR_SIZE}, symmetric border), then MATLAB bicubic 1/s",
        _blur_bicubic,
    ),
)
