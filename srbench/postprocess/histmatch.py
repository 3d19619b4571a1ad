"""Histogram matching of an SR output to its LR input (Johnson et al. 2016, section 4.2).

For each channel c, every output value v is mapped to F_LR,c^-1(F_SR,c(v)), F the empirical CDF over the whole
image (the LR is smaller; CDFs are normalised). This is ``skimage.exposure.match_histograms`` per channel
(quantiles matched with linear interpolation). It is applied to FLOAT arrays, after clamping the output to
[0, 255] and before the uint8 rounding that precedes the metrics: skimage truncates toward zero when given
uint8 input with ``channel_axis`` (a -0.43 gray-level bias; conventions section 7).
"""

from __future__ import annotations

import numpy as np
import torch
from skimage.exposure import match_histograms
from torch import Tensor


def match_histograms_float(output: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Match ``output`` ``(H, W[, C])`` to ``reference`` ``(h, w[, C])``, both float, per channel."""
    out = np.asarray(output, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if out.ndim == 2:
        return np.asarray(match_histograms(out, ref), dtype=np.float64)
    return np.asarray(match_histograms(out, ref, channel_axis=-1), dtype=np.float64)


def histmatch_batch(sr: Tensor, lr: Tensor) -> Tensor:
    """Histogram-match each image of ``sr`` ``(N, C, H, W)`` to ``lr`` ``(N, C, h, w)`` (same value range)."""
    out = []
    for s, r in zip(sr, lr, strict=True):
        s_np = s.permute(1, 2, 0).cpu().numpy()
        r_np = r.permute(1, 2, 0).cpu().numpy()
        if s_np.shape[2] == 1:
            m = match_histograms_float(s_np[..., 0], r_np[..., 0])[..., None]
        else:
            m = match_histograms_float(s_np, r_np)
        out.append(torch.from_numpy(m).permute(2, 0, 1))
    return torch.stack(out).to(sr.device, torch.float64)
