"""Image-quality metrics; one module per metric, all in :data:`METRICS`.

PSNR, SSIM, FSIM, VIF (VIFp) and the wavelet-domain VIF score the luminance channel (``space="y"``); ``psnr-rgb``,
FSIMc, LPIPS and DISTS score RGB (``space="rgb"``; LPIPS and DISTS load their networks only when first called).
Every name maps to exactly one definition, recorded in its ``settings``.

The metric modules are imported when one of their names is first looked up (:meth:`srbench.registry.Registry.defer`),
not here: ``srbench eval --metric psnr --metric ssim`` on an SR folder imports the PSNR and SSIM modules (which
import torch only inside their functions), never FSIM's or LPIPS's torch code. ``tests/metrics/test_registry.py``
checks that each module registers exactly the names declared below.
"""

from srbench.metrics.base import METRICS, MetricSpec

#: the module that registers each metric, and the names it registers
MODULES: dict[str, tuple[str, ...]] = {
    "srbench.metrics.psnr": ("psnr", "psnr-rgb"),
    "srbench.metrics.ssim": ("ssim",),
    "srbench.metrics.fsim": ("fsim", "fsim-piq", "fsimc"),
    "srbench.metrics.vif": ("vif",),
    "srbench.metrics.vif_wavelet": ("vif-wavelet",),
    "srbench.metrics.dists": ("dists",),  # RGB; weights loaded on first call
    "srbench.metrics.lpips": ("lpips",),
}

for _module, _names in MODULES.items():
    METRICS.defer(_module, _names)

__all__ = ["METRICS", "MODULES", "MetricSpec"]
