"""The image transformation network of Johnson, Alahi & Fei-Fei, ECCV 2016, for super-resolution.

Architecture (paper section 3.1 and supplementary Table 2; official code ``fast-neural-style`` string
``c9s1-64,R64,R64,R64,R64,u64,u64,c9s1-3`` for x4, one more ``u64`` for x8):

* 9x9 conv, 64 channels, stride 1, zero padding 4, batch norm, ReLU;
* 4 residual blocks: conv3x3-BN-ReLU-conv3x3-BN plus identity, **no ReLU after the addition** (Gross & Wilber);
* log2(f) upsampling stages, each a 3x3 transposed convolution with stride 2 (``ConvTranspose2d(k=3, s=2, p=1,
  output_padding=1)``, i.e. Torch ``SpatialFullConvolution(64, 64, 3, 3, 2, 2, 1, 1, 1, 1)``), BN, ReLU;
  or, with ``upsample='nearest'``, nearest-neighbour x2 upsampling followed by a 3x3 conv (the known fix for
  checkerboard artifacts: Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016);
* 9x9 conv to 3 channels, stride 1, zero padding 4, no normalisation;
* scaled tanh: the paper's output layer maps to [0, 255]. srbench's images live on [0, 1], so the output is
  ``(tanh(x) + 1) / 2``, the same function up to the affine change of units (255 (tanh + 1) / 2 on 0-255).

Batch norm follows every convolution except the last. Input: RGB ``(N, 3, h, w)`` on [0, 1]; output
``(N, 3, f h, f w)`` on [0, 1].
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from srbench.models.registry import ARCHITECTURES


class ResidualBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, added to the input; no activation after the sum."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def _upsample_stage(channels: int, mode: str) -> nn.Sequential:
    if mode == "deconv":
        conv: nn.Module = nn.ConvTranspose2d(channels, channels, 3, stride=2, padding=1, output_padding=1)
        return nn.Sequential(conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
    if mode == "nearest":
        return nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
        )
    raise ValueError(f"unknown upsample mode {mode!r}; use 'deconv' or 'nearest'")


class JohnsonSR(nn.Module):
    """Johnson et al. 2016 super-resolution network for scale 4 or 8 (any power of two >= 2)."""

    def __init__(self, scale: int = 4, channels: int = 64, blocks: int = 4, upsample: str = "deconv") -> None:
        super().__init__()
        stages = math.log2(scale)
        if scale < 2 or stages != int(stages):
            raise ValueError(f"JohnsonSR needs a power-of-two scale >= 2, got {scale}")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(3, channels, 9, padding=4), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))
        self.body = nn.Sequential(*[ResidualBlock(channels) for _ in range(blocks)])
        self.upsample = nn.Sequential(*[_upsample_stage(channels, upsample) for _ in range(int(stages))])
        self.tail = nn.Conv2d(channels, 3, 9, padding=4)

    def forward(self, x: Tensor) -> Tensor:
        y = self.tail(self.upsample(self.body(self.head(x))))
        return (torch.tanh(y) + 1.0) / 2.0


@ARCHITECTURES.register("johnson")
def johnson(scale: int = 4, channels: int = 64, blocks: int = 4, upsample: str = "deconv") -> JohnsonSR:
    return JohnsonSR(scale=scale, channels=channels, blocks=blocks, upsample=upsample)
