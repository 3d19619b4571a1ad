"""DISTS: the deep image structure and texture similarity of Ding et al., as a distance (lower is better).

The network is torchvision's ImageNet VGG-16 up to relu5_3 with each 2x max-pooling replaced by L2 pooling,

    P(z) = sqrt(g * z^2 + 1e-12),  stride 2, padding 1, per channel,  g = h h^T / sum(h h^T),  h = (1/2, 1, 1/2)

(a 3x3 Hann window: ``np.hanning(5)[1:-1]``). Its input is RGB in [0, 1] normalised with the ImageNet mean/std.
The representations are k = 0: the un-normalised RGB image itself (3 channels), k = 1..5: relu1_2, relu2_2,
relu3_3, relu4_3, relu5_3. For each channel j of stage k, with global (whole-map) means, variances and
covariance of the two images' maps (mu_x, mu_y, s_x^2, s_y^2, s_xy; the variance as the mean squared deviation,
the covariance as mean(x y) - mu_x mu_y) and c1 = c2 = 1e-6,

    l_kj = (2 mu_x mu_y + c1) / (mu_x^2 + mu_y^2 + c1),     s_kj = (2 s_xy + c2) / (s_x^2 + s_y^2 + c2),

    DISTS(x, y) = 1 - sum_{k,j} (alpha_kj l_kj + beta_kj s_kj),

with alpha, beta >= 0 (1475 each) divided by sum(alpha) + sum(beta), trained on KADID-10k by the authors and
shipped as ``DISTS_pytorch/weights.pt`` in the ``dists-pytorch`` 0.1 wheel. Identical images give 0 up to the
rounding of the weight sum (about 1e-7); the value is symmetric in its two arguments.

Input: srbench passes RGB in ``[0, 255]``; it is divided by 255 here (the reference code takes [0, 1]). No
resizing: the whole (shaved) image is used, as ``DISTS_pytorch.DISTS`` does by default (the repository's demo can
resize the short side to 256, and piq's ``DISTS`` always does: those give other numbers). Greyscale
``(N, 1, H, W)`` is replicated to three channels (what the reference code computes for a grey image). Images
must be at least 16x16 (same limit as LPIPS: four 2x poolings before relu5_3).

Computation (float32 whatever the input dtype), caching and chunking as in :mod:`srbench.metrics.lpips`. Equal
to ``DISTS_pytorch.DISTS()`` (run with the same VGG-16 weights) to about 1e-7, and reproduces the official DISTS
scores of the five TID2013 calibration pairs of IQA-PyTorch in every printed digit (``tests/metrics/test_dists.py``).

Reference: K. Ding, K. Ma, S. Wang, E. P. Simoncelli, "Image Quality Assessment: Unifying Structure and Texture
Similarity", IEEE TPAMI 44(5):2567-2581, 2022 (online 2020), doi:10.1109/TPAMI.2020.3045810, arXiv:2004.07728;
code github.com/dingkeyan93/DISTS (PyPI ``dists-pytorch`` 0.1).
"""

from __future__ import annotations

import copy
from functools import lru_cache

import torch
import torch.nn.functional as F
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
CHANNELS = (3, 64, 128, 256, 512, 512)
POOLS = (4, 9, 16, 23)
"""torchvision indices of the max-poolings that DISTS replaces by L2 pooling."""
TAPS = (3, 8, 15, 22, 29)
"""torchvision indices whose outputs are relu1_2 ... relu5_3."""
C1 = 1e-6
C2 = 1e-6
POOL_EPS = 1e-12
WEIGHTS_FILE = "weights.pt"
WEIGHTS_SHA256 = "f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218"


def l2_pool(z: Tensor) -> Tensor:
    """DISTS' L2 pooling: sqrt of the 3x3 Hann-weighted mean of z^2, stride 2, zero padding 1, per channel."""
    h = torch.tensor([0.5, 1.0, 0.5], dtype=z.dtype, device=z.device)
    g = torch.outer(h, h)
    g = (g / g.sum()).expand(z.shape[1], 1, 3, 3)
    return (F.conv2d(z.pow(2), g, stride=2, padding=1, groups=z.shape[1]) + POOL_EPS).sqrt()


class DISTSNet(nn.Module):
    """VGG-16 with L2 pooling plus DISTS' alpha/beta; ``forward(x, y)`` takes RGB in [0, 1]."""

    alpha: Tensor
    beta: Tensor

    def __init__(self, vgg: VGG16Features, alpha: Tensor, beta: Tensor) -> None:
        super().__init__()
        self.vgg = vgg
        self.register_buffer("alpha", alpha.reshape(-1).clone())
        self.register_buffer("beta", beta.reshape(-1).clone())

    def features(self, x: Tensor) -> list[Tensor]:
        out = [x]
        h = self.vgg.normalize(x)
        for i, layer in enumerate(self.vgg):
            if i > TAPS[-1]:
                break
            h = l2_pool(h) if i in POOLS else layer(h)
            if i in TAPS:
                out.append(h)
        return out

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        fx, fy = self.features(x), self.features(y)
        total = self.alpha.sum() + self.beta.sum()
        alphas = torch.split(self.alpha / total, list(CHANNELS))
        betas = torch.split(self.beta / total, list(CHANNELS))
        similarity = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for a, b, u, v in zip(alphas, betas, fx, fy, strict=True):
            mu_u, mu_v = u.mean(dim=(2, 3)), v.mean(dim=(2, 3))
            structure = (2 * mu_u * mu_v + C1) / (mu_u.pow(2) + mu_v.pow(2) + C1)
            var_u = (u - mu_u[..., None, None]).pow(2).mean(dim=(2, 3))
            var_v = (v - mu_v[..., None, None]).pow(2).mean(dim=(2, 3))
            cov = (u * v).mean(dim=(2, 3)) - mu_u * mu_v
            texture = (2 * cov + C2) / (var_u + var_v + C2)
            similarity = similarity + (a * structure).sum(dim=1) + (b * texture).sum(dim=1)
        return 1 - similarity


@lru_cache(maxsize=1)
def _cpu_net() -> DISTSNet:
    path = package_file("DISTS_pytorch", WEIGHTS_FILE, "dists-pytorch", WEIGHTS_SHA256)
    state = torch.load(path, map_location="cpu", weights_only=True)
    alpha, beta = as_tensor(state, path, "alpha"), as_tensor(state, path, "beta")
    if alpha.numel() != sum(CHANNELS) or beta.numel() != sum(CHANNELS):
        raise ConfigError(f"{path}: alpha/beta do not have {sum(CHANNELS)} entries; reinstall dists-pytorch")
    return DISTSNet(load_checked_vgg16(), alpha, beta).eval()


@lru_cache(maxsize=4)
def _net(device: str) -> DISTSNet:
    return copy.deepcopy(_cpu_net()).to(device=torch.device(device)).eval()


def dists(sr: Tensor, hr: Tensor) -> Tensor:
    """Per-image DISTS between ``sr`` and ``hr``: ``(N, 3, H, W)`` RGB (or grey) in ``[0, 255]``.

    Formula and conventions in the module docstring. Returns float64 ``(N,)`` on the input device, about 0 for
    identical images. Raises ``ValueError`` for mismatched shapes or images under 16x16, and
    :class:`~srbench.errors.ConfigError` when the VGG-16 weights or the ``dists-pytorch`` package are missing.
    """
    return score_in_chunks(_net, sr, hr, "dists", MIN_SIZE)


METRICS.add(
    "dists",
    MetricSpec(
        name="dists",
        label="DISTS",
        higher_is_better=False,
        fn=dists,
        settings={
            "trunk": "vgg16 torchvision IMAGENET1K_V1, max pooling replaced by 3x3 Hann L2 pooling",
            "vgg16_tensor_sha256": VGG16_TENSOR_SHA256,
            "alpha_beta": f"dists-pytorch 0.1 DISTS_pytorch/{WEIGHTS_FILE}",
            "alpha_beta_sha256": WEIGHTS_SHA256,
            "input": "RGB [0,255] / 255, ImageNet mean/std before the VGG",
            "grey": "replicated to RGB",
            "resize": "none",
            "c1": C1,
            "c2": C2,
        },
        min_size=MIN_SIZE,
        decimals=4,
        space="rgb",
    ),
)
