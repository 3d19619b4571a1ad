"""Image-quality metrics on the luminance channel; one module per metric, all in :data:`METRICS`."""

from srbench.metrics import psnr as _psnr  # noqa: F401  (registers)
from srbench.metrics import ssim as _ssim  # noqa: F401
from srbench.metrics.base import METRICS, MetricSpec

try:  # FSIM and VIF are separate modules; they register themselves when present
    from srbench.metrics import fsim as _fsim  # noqa: F401
    from srbench.metrics import vif as _vif  # type: ignore[attr-defined,unused-ignore]  # noqa: F401
except ImportError:  # pragma: no cover - during bootstrap only
    pass

__all__ = ["METRICS", "MetricSpec"]
