"""Training losses of Johnson et al. 2016: pixel, feature reconstruction (VGG-16), total variation, and Eq. 1."""

from srbench.losses.combined import CombinedLoss
from srbench.losses.feature import FeatureLoss
from srbench.losses.pixel import PixelLoss, pixel_loss
from srbench.losses.tv import TVLoss, fns_tv_weight, tv_loss
from srbench.losses.vgg import VGG_LAYERS, VGG16Features, find_vgg16_weights, load_vgg16_features

__all__ = [
    "VGG_LAYERS",
    "CombinedLoss",
    "FeatureLoss",
    "PixelLoss",
    "TVLoss",
    "VGG16Features",
    "find_vgg16_weights",
    "fns_tv_weight",
    "load_vgg16_features",
    "pixel_loss",
    "tv_loss",
]
