"""Feature reconstruction (perceptual) loss of Johnson et al. 2016, paper Eq. 2.

l_feat^j(y_hat, y) = ||phi_j(y_hat) - phi_j(y)||_2^2 / (C_j H_j W_j), where phi_j is the activation of layer j
of the fixed VGG-16 loss network (:mod:`srbench.losses.vgg`); averaged over the batch and summed over the
chosen layers (the paper's SR models use relu2_2 only). The target's features carry no gradient.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from srbench.losses.vgg import VGG16Features, check_layers, load_vgg16_features


class FeatureLoss(nn.Module):
    """Sum over ``layers`` of the batch mean of ``||phi_j(y_hat) - phi_j(y)||^2 / (C_j H_j W_j)``.

    Args:
        layers: VGG-16 taps (``relu1_2``, ``relu2_2``, ``relu3_3``, ``relu4_3``, ``relu5_3``).
        network: a :class:`VGG16Features`; default :func:`load_vgg16_features` (``vgg_weights``, ``weights_root``).
    """

    def __init__(
        self,
        layers: Sequence[str] = ("relu2_2",),
        network: VGG16Features | None = None,
        vgg_weights: str | os.PathLike[str] | None = None,
        weights_root: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        self.layers = check_layers(layers)
        self.network = network if network is not None else load_vgg16_features(vgg_weights, weights_root)
        for p in self.network.parameters():
            p.requires_grad_(False)
        self.network.eval()

    def components(self, y_hat: Tensor, y: Tensor) -> dict[str, Tensor]:
        """The loss at each layer (float32 scalars)."""
        if y_hat.shape != y.shape:
            raise ValueError(f"FeatureLoss: shapes differ, {tuple(y_hat.shape)} vs {tuple(y.shape)}")
        fake = self.network.taps(y_hat, self.layers)
        with torch.no_grad():
            real = self.network.taps(y, self.layers)
        out = {}
        for name in self.layers:
            diff = fake[name].float() - real[name].float()
            out[name] = diff.pow(2).flatten(1).mean(dim=1).mean()
        return out

    def forward(self, y_hat: Tensor, y: Tensor) -> Tensor:
        parts = self.components(y_hat, y)
        return torch.stack(list(parts.values())).sum()
