"""LPIPS (VGG): the learned perceptual image patch similarity of Zhang et al., version 0.1, VGG-16 trunk.

For images x (``sr``) and x0 (``hr``), with VGG-16 activations at the five layers l = relu1_2, relu2_2, relu3_3,
relu4_3, relu5_3 (torchvision layout, max pooling), each unit-normalised along channels at every position,

    f^l_hw = phi^l_hw / (||phi^l_hw||_2 + 1e-10),

    LPIPS(x, x0) = sum_l  1 / (H_l W_l)  sum_{h,w}  sum_c  w^l_c (f^l_hwc(x) - f^l_hwc(x0))^2,

where w^l (64, 128, 256, 512, 512 non-negative weights) are the linear layers calibrated on human 2AFC
judgements and shipped as ``lpips/weights/v0.1/vgg.pth`` in the ``lpips`` 0.1.4 wheel. Lower is more similar;
identical images give exactly 0. The value is symmetric in its two arguments.

Input: srbench passes RGB in ``[0, 255]``. The reference code takes RGB in ``[-1, 1]`` and applies its
``ScalingLayer`` (shift -0.030, -0.088, -0.188; scale 0.458, 0.448, 0.450); that equals the ImageNet
normalisation ``(v / 255 - mean) / std`` with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)
exactly (shift = 2 mean - 1, scale = 2 std), which is what the network here applies to ``v / 255``. No
resizing: the whole (shaved) image is used, as the reference code does. Greyscale ``(N, 1, H, W)`` input is
replicated to three channels (what the reference code computes on a grey RGB image). Images must be at least
16x16 (four 2x max-poolings before relu5_3).

Computation: always in float32, as the reference code does, whatever the input dtype (float64 input is
converted: running VGG-16 in float64 costs about 3x the time and moves the score by about 1e-8, far below the
4 printed decimals); the result is float64 ``(N,)`` on the input device. Networks are loaded on first use, once
per device, and batches are cut into chunks of about one megapixel to bound memory (per-image results do not
depend on the chunking beyond float32 rounding, about 1e-7). Equal to ``lpips.LPIPS(net='vgg', version='0.1')``
(run with the same VGG-16 weights) to about 1e-7 (``tests/metrics/test_lpips.py``).

Reference: R. Zhang, P. Isola, A. A. Efros, E. Shechtman, O. Wang, "The Unreasonable Effectiveness of Deep
Features as a Perceptual Metric", CVPR 2018, arXiv:1801.03924; code github.com/richzhang/PerceptualSimilarity
(PyPI ``lpips`` 0.1.4).
"""

from __future__ import annotations

import copy
from functools import lru_cache

import torch
from torch import Tensor, nn

from srbench.errors import ConfigError
from srbench.losses.vgg import VGG16Features
from srbench.metrics.base import METRICS, MetricSpec
from srbench.metrics.perceptual_weights import (
    VGG16_TENSOR_SHA256,
    as_tensor,
    load_checked_vgg16,
    package_file,
    score_in_chunks,
)

MIN_SIZE = 16
"""Four 2x max-poolings come before relu5_3: smaller images leave an empty map there."""
LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
CHANNELS = (64, 128, 256, 512, 512)
NORM_EPS = 1e-10
LIN_FILE = "weights/v0.1/vgg.pth"
LIN_SHA256 = "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868"


class LPIPSNet(nn.Module):
    """VGG-16 trunk plus the five LPIPS v0.1 linear layers; ``forward(x, y)`` takes RGB in [0, 1]."""

    def __init__(self, vgg: VGG16Features, lin: list[Tensor]) -> None:
        super().__init__()
        self.vgg = vgg
        for i, w in enumerate(lin):
            self.register_buffer(f"lin{i}", w.reshape(1, -1, 1, 1).clone())

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        fx, fy = self.vgg.taps(x, LAYERS), self.vgg.taps(y, LAYERS)
        total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for i, name in enumerate(LAYERS):
            d = (_unit(fx[name]) - _unit(fy[name])).pow(2)
            w = getattr(self, f"lin{i}")
            total = total + (d * w).sum(dim=1).mean(dim=(1, 2))
        return total


def _unit(f: Tensor) -> Tensor:
    """Unit-normalise along channels, with the reference code's epsilon added to the norm."""
    return f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + NORM_EPS)


@lru_cache(maxsize=1)
def _cpu_net() -> LPIPSNet:
    path = package_file("lpips", LIN_FILE, "lpips", LIN_SHA256)
    state = torch.load(path, map_location="cpu", weights_only=True)
    lin = [as_tensor(state, path, f"lin{i}.model.1.weight") for i in range(len(LAYERS))]
    for w, c in zip(lin, CHANNELS, strict=True):
        if w.numel() != c:
            raise ConfigError(f"{path}: linear layer of {w.numel()} weights where VGG-16 has {c} channels")
    return LPIPSNet(load_checked_vgg16(), lin).eval()


@lru_cache(maxsize=4)
def _net(device: str) -> LPIPSNet:
    return copy.deepcopy(_cpu_net()).to(device=torch.device(device)).eval()


def lpips(sr: Tensor, hr: Tensor) -> Tensor:
    """Per-image LPIPS (VGG, v0.1) between ``sr`` and ``hr``: ``(N, 3, H, W)`` RGB (or grey) in ``[0, 255]``.

    Formula and conventions in the module docstring. Returns float64 ``(N,)`` on the input device; 0 for
    identical images. Raises ``ValueError`` for mismatched shapes or images under 16x16, and
    :class:`~srbench.errors.ConfigError` when the VGG-16 weights or the ``lpips`` package are missing.
    """
    return score_in_chunks(_net, sr, hr, "lpips", MIN_SIZE)


METRICS.add(
    "lpips",
    MetricSpec(
        name="lpips",
        label="LPIPS (VGG)",
        higher_is_better=False,
        fn=lpips,
        settings={
            "version": "0.1",
            "trunk": "vgg16 torchvision IMAGENET1K_V1",
            "vgg16_tensor_sha256": VGG16_TENSOR_SHA256,
            "linear_layers": f"lpips 0.1.4 lpips/{LIN_FILE}",
            "linear_layers_sha256": LIN_SHA256,
            "layers": ",".join(LAYERS),
            "input": "RGB [0,255] / 255, ImageNet mean/std (= lpips ScalingLayer on [-1,1])",
            "grey": "replicated to RGB",
            "resize": "none",
            "reduction": "spatial mean per layer, summed over layers",
        },
        min_size=MIN_SIZE,
        decimals=4,
        space="rgb",
    ),
)
