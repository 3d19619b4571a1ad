"""Image-quality metrics; one module per metric, all in :data:`METRICS`.

PSNR, SSIM, FSIM, VIF (VIFp) and the wavelet-domain VIF score the luminance channel (``space="y"``); ``psnr-rgb``,
FSIMc, LPIPS and DISTS score RGB (``space="rgb"``; LPIPS and DISTS load their networks only when first called).
Every name maps to exactly one definition, recorded in its ``settings``.
"""

from srbench.metrics import psnr as _psnr  # noqa: F401  (registers)
from srbench.metrics import ssim as _ssim  # noqa: F401
from srbench.metrics.base import METRICS, MetricSpec

try:  # FSIM and VIF are separate modules; they register themselves when present
    from srbench.metrics import fsim as _fsim  # noqa: F401
    from srbench.metrics import vif as _vif  # type: ignore[attr-defined,unused-ignore]  # noqa: F401
    from srbench.metrics import vif_wavelet as _vif_wavelet  # noqa: F401
except ImportError:  # pragma: no cover - during bootstrap only
    pass
from srbench.metrics import dists as _dists  # noqa: F401  (RGB; weights loaded on first call)
from srbench.metrics import lpips as _lpips  # noqa: F401

__all__ = ["METRICS", "MetricSpec"]
