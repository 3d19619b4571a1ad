"""SSIM exactly as Wang et al.'s ``ssim_index.m`` (2003/2004), the variant the SR benchmark codes use.

For images x, y on [0, L] with L = 255 and an 11x11 Gaussian window w (sigma 1.5, normalised to sum 1):

    mu_x = w * x,  sigma_x^2 = w * x^2 - mu_x^2,  sigma_xy = w * (x y) - mu_x mu_y     ('valid' filtering)
    SSIM map = ((2 mu_x mu_y + C1)(2 sigma_xy + C2)) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))
    C1 = (0.01 L)^2,  C2 = (0.03 L)^2,  score = mean of the (H-10) x (W-10) map.

No padding and no automatic downsampling (Wang's later ``ssim.m`` and piq's default downsample first).
On the CPU the 11-tap window runs as one compiled loop per image (:mod:`srbench.kernels.ssim_cpu`, the same
filter sums; the means agree with the torch code below to ~1e-15) unless ``SRBENCH_KERNELS=torch``.
Reference: Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from error
visibility to structural similarity", IEEE TIP 13(4), 2004; conventions section 3.2.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from srbench import kernels
from srbench.metrics.base import METRICS, MetricSpec

if TYPE_CHECKING:  # torch is imported inside the functions: registering the metric imports no torch (issue 12)
    import torch
    from torch import Tensor

WINDOW = 11
SIGMA = 1.5
K1, K2, L = 0.01, 0.03, 255.0
STRIP_ROWS = 64
"""Output rows filtered at a time on the CPU (GPUs filter the whole image at once). Smaller strips keep more of
the five float64 statistics in cache but pay more per-call overhead. SSIM of one 312 x 472 pair, one thread,
(whole image / 16 / 32 / 64-row strips): AMD EPYC 2-core VM 7.4-13 / 7.3 / 6.5-7.0 / 5.7-6.4 ms (the whole
image suffers most when other processes share the cache); Intel Xeon 18.5 / 9.4 / 11.6 / 13.5 ms."""


@functools.lru_cache(maxsize=16)
def _gaussian_1d(size: int, sigma: float, dtype: torch.dtype, device: str) -> Tensor:
    """MATLAB ``fspecial('gaussian', size, sigma)`` is separable: this is its normalised 1-D factor."""
    import torch

    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return (g / g.sum()).to(dtype=dtype, device=device)


def _filter_valid(x: Tensor, g: Tensor) -> Tensor:
    """Separable 'valid' correlation of ``(M, H, W)`` with the outer product of ``g`` with itself.

    Written as in-place shifted accumulations (one axpy per tap and axis): on the CPU this is memory-bound
    work that runs about as fast as scipy's C filters when one image's statistics fit in cache, far faster
    than float64 ``conv2d``.
    """
    taps = g.tolist()
    k = len(taps)
    h, w = x.shape[-2:]
    y = x[..., 0 : h - k + 1, :] * taps[0]
    for i in range(1, k):
        y.add_(x[..., i : h - k + 1 + i, :], alpha=taps[i])
    z = y[..., :, 0 : w - k + 1] * taps[0]
    for i in range(1, k):
        z.add_(y[..., :, i : w - k + 1 + i], alpha=taps[i])
    return z


def ssim(sr: Tensor, hr: Tensor, window: int = WINDOW, sigma: float = SIGMA, data_range: float = L) -> Tensor:
    """Per-image SSIM (Wang 2004 ``ssim_index``) of ``sr`` against ``hr``, shapes ``(N, 1, H, W)``.

    Multi-channel input is scored per channel and averaged. Returns float64 ``(N,)``.
    """
    import torch

    if sr.shape != hr.shape:
        raise ValueError(f"ssim: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    n, c, h, w = sr.shape
    if h < window or w < window:
        raise ValueError(f"ssim: image {h}x{w} is smaller than the {window}x{window} window")
    xs = sr.to(torch.float64).reshape(n * c, h, w)
    ys = hr.to(torch.float64).reshape(n * c, h, w)
    g = _gaussian_1d(window, sigma, torch.float64, str(xs.device))
    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    if window == kernels.SSIM_TAPS and kernels.usable(xs, ys):
        from srbench.kernels.ssim_cpu import ssim_mean

        taps = g.numpy()
        values = [ssim_mean(x.numpy(), y.numpy(), taps, c1, c2) for x, y in zip(xs, ys, strict=True)]
        return torch.tensor(values, dtype=torch.float64).view(n, c).mean(dim=1)
    scores = [_ssim_one(x, y, g, c1, c2) for x, y in zip(xs, ys, strict=True)]
    return torch.stack(scores).view(n, c).mean(dim=1)


def filtered_strips(stats: Tensor, g: Tensor, rows: int | None = None) -> Iterator[tuple[int, Tensor]]:
    """``_filter_valid(stats, g)`` of ``(M, H, W)`` in strips of at most ``rows`` output rows: yields ``(top, f)``.

    ``rows`` defaults to :data:`STRIP_ROWS` on the CPU, one strip elsewhere. ``f`` ``(M, r, W - k + 1)`` holds
    output rows ``top .. top + r - 1``; it is a view of a buffer that the next strip overwrites. Each output value
    comes from the same taps in the same order as in :func:`_filter_valid`, so the values are bit for bit the
    same; the strips only keep the working set in the CPU cache, where filtering the whole image at once streams
    every pass through memory.
    """
    import torch

    taps = g.tolist()
    k = len(taps)
    m, h, w = stats.shape
    out_h, out_w = h - k + 1, w - k + 1
    if rows is None:
        rows = STRIP_ROWS if stats.device.type == "cpu" else out_h
    rows = max(1, min(rows, out_h))
    vertical = stats.new_empty(m, rows, w)
    both = stats.new_empty(m, rows, out_w)
    for top in range(0, out_h, rows):
        r = min(rows, out_h - top)
        v = vertical[:, :r]
        torch.mul(stats[:, top : top + r], taps[0], out=v)
        for i in range(1, k):
            v.add_(stats[:, top + i : top + i + r], alpha=taps[i])
        f = both[:, :r]
        torch.mul(v[..., 0:out_w], taps[0], out=f)
        for i in range(1, k):
            f.add_(v[..., i : i + out_w], alpha=taps[i])
        yield top, f


def second_moments(x: Tensor, y: Tensor) -> Tensor:
    """``torch.stack([x, y, x * x, y * y, x * y])`` of two ``(H, W)`` maps, written in place (no temporaries)."""
    import torch

    out = x.new_empty(5, *x.shape)
    out[0].copy_(x)
    out[1].copy_(y)
    torch.mul(x, x, out=out[2])
    torch.mul(y, y, out=out[3])
    torch.mul(x, y, out=out[4])
    return out


def _ssim_one(x: Tensor, y: Tensor, g: Tensor, c1: float, c2: float) -> Tensor:
    """Mean SSIM map of one pair ``(H, W)`` float64; the map is filled strip by strip, then averaged whole."""
    import torch

    k = g.shape[0]
    ssim_map = x.new_empty(x.shape[0] - k + 1, x.shape[1] - k + 1)
    for top, f in filtered_strips(second_moments(x, y), g):
        mu_x, mu_y, xx, yy, xy = f.unbind(0)
        mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        num = (2 * mu_xy + c1) * (2 * (xy - mu_xy) + c2)
        den = (mu_xx + mu_yy + c1) * ((xx - mu_xx) + (yy - mu_yy) + c2)
        torch.div(num, den, out=ssim_map[top : top + f.shape[1]])
    return ssim_map.mean()


METRICS.add(
    "ssim",
    MetricSpec(
        name="ssim",
        label="SSIM",
        higher_is_better=True,
        fn=ssim,
        settings={
            "variant": "wang2004-ssim_index",
            "window": f"gaussian {WINDOW}x{WINDOW} sigma {SIGMA}",
            "K1": K1,
            "K2": K2,
            "L": L,
            "padding": "valid",
            "downsample": False,
            "covariance": "population",
        },
        min_size=WINDOW,
        decimals=4,
    ),
)
