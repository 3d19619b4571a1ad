"""Peak signal-to-noise ratio: ``psnr`` on [0, 255] luminance, ``psnr-rgb`` on the R, G, B channels.

PSNR = 10 log10(255^2 / MSE), with the MSE over all pixels (and, for ``psnr-rgb``, all three channels) of one
(shaved, rounded) image, computed in float64 (the dB step in Python floats: :func:`srbench.kernels.scores.psnr_db`).
The dataset score is the mean of the per-image values (never a pooled MSE). An exact match (MSE = 0) gives +inf.
``psnr-rgb`` of a grayscale image is the PSNR of its one channel. ``psnr-rgb`` is what scikit-image's
``peak_signal_noise_ratio(hr, sr, data_range=255)`` gives on the RGB arrays (IQA-PyTorch's "official" PSNR); it
is about 1.7 dB below the Y-channel PSNR of the SR literature.
Reference: the SR benchmark convention, e.g. SRCNN ``demo_SR.m`` / RCAN ``Evaluate_PSNR_SSIM.m``
(``../shared/reference/evaluation-conventions.md`` section 3.1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from srbench import kernels
from srbench.kernels.scores import psnr_db
from srbench.metrics.base import METRICS, MetricSpec

if TYPE_CHECKING:  # torch is imported inside psnr(): registering the metric imports no torch (issue 12)
    from torch import Tensor

PEAK = 255.0


def psnr(sr: Tensor, hr: Tensor, peak: float = PEAK) -> Tensor:
    """Per-image PSNR in dB of ``sr`` against ``hr``, both ``(N, C, H, W)`` in ``[0, peak]``.

    Returns a float64 tensor ``(N,)``; ``inf`` where the images are identical.
    """
    import torch

    if sr.shape != hr.shape:
        raise ValueError(f"psnr: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.ndim == 4 and kernels.usable(sr, hr):
        from srbench.kernels.pointwise_cpu import squared_error_sums

        count = sr.shape[1] * sr.shape[2] * sr.shape[3]
        mse = torch.from_numpy(squared_error_sums(sr.numpy(), hr.numpy())) / count
    else:
        diff = sr.to(torch.float64) - hr.to(torch.float64)
        mse = diff.pow(2).flatten(1).mean(dim=1)
    # the dB step in Python floats (the C library's log10), the same bits on every device, backend and path
    return torch.tensor(psnr_db(mse.tolist(), peak), dtype=torch.float64, device=sr.device)


METRICS.add(
    "psnr",
    MetricSpec(
        name="psnr",
        label="PSNR (dB)",
        higher_is_better=True,
        fn=psnr,
        settings={"peak": PEAK, "dtype": "float64", "reduction": "mean of per-image values"},
        decimals=2,
    ),
)

METRICS.add(
    "psnr-rgb",
    MetricSpec(
        name="psnr-rgb",
        label="PSNR RGB (dB)",
        higher_is_better=True,
        fn=psnr,
        settings={
            "peak": PEAK,
            "channels": "R, G, B (the one channel of a grayscale image)",
            "mse": "mean over all pixels and channels of the shaved, rounded image",
            "dtype": "float64",
            "reduction": "mean of per-image values",
        },
        decimals=2,
        space="rgb",
    ),
)
