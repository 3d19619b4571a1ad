"""The metric interface shared by every metric module.

A metric is a pure function ``fn(sr, hr) -> scores`` over a batch:

* ``sr`` and ``hr``: tensors of shape ``(N, 1, H, W)``, any floating dtype (float64 recommended), any device,
  holding luminance values in ``[0, 255]`` (already shaved, already rounded as the protocol says); metrics
  registered with ``space="rgb"`` (``psnr-rgb``, ``fsimc``, LPIPS, DISTS) take ``(N, 3, H, W)`` RGB in
  ``[0, 255]`` instead (``(N, 1, H, W)`` for a grayscale image).
* returns a float64 tensor of shape ``(N,)`` with one score per image, on the input device.

Each metric module registers a :class:`MetricSpec` in :data:`METRICS`; ``settings`` holds every knob that
changes the value, and is copied into the protocol record stored with each result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from srbench.registry import Registry

if TYPE_CHECKING:  # this module imports no torch: srbench eval on SR folders runs without it (issue 12)
    from torch import Tensor

MetricFn = Callable[["Tensor", "Tensor"], "Tensor"]


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric.

    Attributes:
        name: registry key, also the result column name (``psnr``).
        label: human label for tables (``PSNR (dB)``).
        higher_is_better: sort direction for leaderboards.
        fn: the batched metric function described in the module docstring.
        settings: every parameter that influences the value, recorded with each result.
        min_size: smallest height/width (after shave) the metric accepts.
        decimals: digits printed in tables (PSNR 2, SSIM 4 as in the literature).
        space: what ``fn`` is fed. ``"y"``: ``(N, 1, H, W)`` luminance in ``[0, 255]`` (PSNR, SSIM, FSIM, VIF);
            ``"rgb"``: ``(N, 3, H, W)`` RGB in ``[0, 255]``, channel order R, G, B
            (psnr-rgb, FSIMc, LPIPS, DISTS). Both shaved and rounded alike; the caller converts, the metric never
            guesses.
    """

    name: str
    label: str
    higher_is_better: bool
    fn: MetricFn
    settings: Mapping[str, Any] = field(default_factory=dict)
    min_size: int = 1
    decimals: int = 4
    space: str = "y"


METRICS: Registry[MetricSpec] = Registry("metric")
