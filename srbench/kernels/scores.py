"""The scalar steps every scoring path shares, in plain Python floats (no torch, no numba).

* :func:`psnr_db`: ``10 log10(peak^2 / MSE)`` per image with the C library's ``log10`` (``math.log10``). torch's
  CPU ``log10`` (SLEEF) differs from it in the last bit for a few percent of values, so doing this step in one
  place is what makes PSNR the same bits on every path: torch on the CPU or a GPU, the compiled kernels, and the
  lean SR-folder path (:mod:`srbench.evaluate.lean`), which imports no torch.
* :func:`gaussian_taps`: the normalised 1-D Gaussian of MATLAB's ``fspecial('gaussian')``; for SSIM's window
  (11 taps, sigma 1.5) equal bit for bit to :func:`srbench.metrics.ssim._gaussian_1d`'s torch values (pinned by
  tests/kernels/test_scores.py; other sizes may differ from torch's ``exp`` in the last bit).
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def psnr_db(mse: Iterable[float], peak: float) -> list[float]:
    """PSNR in dB of each mean squared error: ``+inf`` where it is 0, NaN where it is NaN."""
    out = []
    for m in mse:
        m = float(m)
        if m == 0.0:
            out.append(math.inf)
            continue
        q = peak**2 / m
        out.append(10.0 * math.log10(q) if q > 0.0 else (-math.inf if q == 0.0 else math.nan))
    return out


def gaussian_taps(size: int, sigma: float) -> tuple[float, ...]:
    """The separable factor of ``fspecial('gaussian', size, sigma)``: ``exp(-x^2 / (2 sigma^2))``, normalised to sum 1
    (summed left to right)."""
    g = [math.exp(-((i - (size - 1) / 2) ** 2) / (2 * sigma**2)) for i in range(size)]
    total = 0.0
    for v in g:
        total += v
    return tuple(v / total for v in g)
