"""The weighted loss of Johnson et al. 2016, Eq. 1: ``l = w_pix l_pixel + w_feat l_feat + w_tv l_TV``.

The paper's SR models use either the pixel loss or the feature loss at relu2_2, with TV regularisation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from srbench.errors import ConfigError
from srbench.losses.feature import FeatureLoss
from srbench.losses.pixel import pixel_loss
from srbench.losses.tv import tv_loss
from srbench.losses.vgg import VGG16Features, check_layers


class CombinedLoss(nn.Module):
    """``total = pixel_weight l_pixel + feature_weight l_feat + tv_weight l_TV``.

    ``forward(y_hat, y)`` returns ``(total, components)``; ``components`` holds the unweighted, detached
    ``pixel``, ``feature`` and ``tv`` values of the terms whose weight is not zero. The VGG-16 loss network is
    loaded only when ``feature_weight`` is not zero (see :func:`srbench.losses.vgg.load_vgg16_features`).
    """

    def __init__(
        self,
        pixel_weight: float = 0.0,
        feature_weight: float = 0.0,
        tv_weight: float = 0.0,
        layers: Sequence[str] = ("relu2_2",),
        vgg_weights: str | os.PathLike[str] | None = None,
        weights_root: str | os.PathLike[str] | None = None,
        network: VGG16Features | None = None,
    ) -> None:
        super().__init__()
        for name, w in (("pixel", pixel_weight), ("feature", feature_weight), ("tv", tv_weight)):
            if not (w >= 0 and w < float("inf")):
                raise ConfigError(f"{name} loss weight {w} is invalid; use a finite weight >= 0")
        if pixel_weight == 0 and feature_weight == 0:
            raise ConfigError("both the pixel and the feature loss weights are 0; give one of them a weight")
        self.pixel_weight = float(pixel_weight)
        self.feature_weight = float(feature_weight)
        self.tv_weight = float(tv_weight)
        self.layers = check_layers(layers)
        self.feature: FeatureLoss | None = None
        if self.feature_weight:
            self.feature = FeatureLoss(self.layers, network, vgg_weights, weights_root)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the active components, in the order ``forward`` reports them."""
        out = []
        if self.pixel_weight:
            out.append("pixel")
        if self.feature_weight:
            out.append("feature")
        if self.tv_weight:
            out.append("tv")
        return tuple(out)

    def forward(self, y_hat: Tensor, y: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        terms: dict[str, Tensor] = {}
        total = torch.zeros((), device=y_hat.device, dtype=torch.float32)
        if self.pixel_weight:
            terms["pixel"] = pixel_loss(y_hat, y)
            total = total + self.pixel_weight * terms["pixel"]
        if self.feature is not None:
            terms["feature"] = self.feature(y_hat, y)
            total = total + self.feature_weight * terms["feature"]
        if self.tv_weight:
            terms["tv"] = tv_loss(y_hat)
            total = total + self.tv_weight * terms["tv"]
        return total, {k: v.detach() for k, v in terms.items()}

    def describe(self) -> dict[str, object]:
        """Weights and layers, for metadata."""
        out: dict[str, object] = {
            "pixel_weight": self.pixel_weight,
            "feature_weight": self.feature_weight,
            "tv_weight": self.tv_weight,
            "tv": "squared anisotropic, FNS domain, sum per image on [0,1] RGB, batch mean",
        }
        if self.feature is not None:
            out["layers"] = list(self.layers)
            out["loss_network"] = "torchvision vgg16 features (ImageNet mean/std input)"
            out["loss_network_file"] = self.feature.network.source
        return out
