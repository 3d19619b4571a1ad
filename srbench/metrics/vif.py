"""VIFp: pixel-domain Visual Information Fidelity (Sheikh & Bovik), equal to ``piq.vif_p``.

The reference image C (here ``hr``) passes through a distortion channel to give the distorted image D
(here ``sr``): D = g C + V, with V ~ N(0, sigma_v^2) locally, and both are seen through additive visual noise
of variance sigma_n^2 = 2 (on the [0, 255] scale). On each of 4 scales j, with Gaussian windows of size
N_j = 17, 9, 5, 3 (sigma = N_j / 5, 'valid' filtering, and filtering then 2x decimation between scales):

    sigma_C^2, sigma_D^2, sigma_CD: local variances and covariance under the window
    g = sigma_CD / sigma_C^2,   sigma_v^2 = sigma_D^2 - g sigma_CD
    VIFp = sum_j sum_xy log10(1 + g^2 sigma_C^2 / (sigma_v^2 + sigma_n^2))
           / sum_j sum_xy log10(1 + sigma_C^2 / sigma_n^2)

with the guards of the authors' ``vifp_mscale.m`` as piq ports them (negative variances clipped to 0, g = 0
where sigma_C^2 or sigma_D^2 is below eps, g < 0 replaced by g = 0 and sigma_v^2 = sigma_D^2, sigma_v^2 floored
at eps; eps = 1e-8), and eps added to both sums.

**Not symmetric**: the first argument is the distorted image, the second the reference, as in piq's
``vif_p(x, y)`` (x = distorted, y = reference). 1.0 for identical images; it can exceed 1 for a distorted image
with more contrast than the reference. Inputs must be at least 41x41 pixels (the 17x17 window and three
decimations must leave a non-empty map).

srbench computes it with its own float64 code, per image, with the Gaussian window applied separably (the
normalised 2-D Gaussian is the outer product of the normalised 1-D one) through the same in-place shifted
accumulation as SSIM; this is several times faster on the CPU than piq's float64 2-D ``conv2d`` and equals
``piq.vif_p(sr / 255, hr / 255, sigma_n_sq=2.0, data_range=1.0, reduction='none')`` to about 1e-11
(``tests/metrics/test_vif.py``). piq's VIFp is the pixel-domain variant; the paper's wavelet-domain VIF
(steerable pyramid, GSM) is a different number and is not computed here.

References: H. R. Sheikh and A. C. Bovik, "Image information and visual quality", IEEE TIP 15(2):430-444, 2006,
doi:10.1109/TIP.2005.859378; LIVE ``vifp_mscale.m``; piq 0.8.0 ``piq/vif.py`` (range fix of PR #210);
conventions section 4.2.
"""

from __future__ import annotations

import importlib.metadata

import torch
from torch import Tensor

from srbench.metrics.base import METRICS, MetricSpec
from srbench.metrics.ssim import _filter_valid, filtered_strips, second_moments

SIGMA_N_SQ = 2.0
PEAK = 255.0
EPS = 1e-8
MIN_SIZE = 41
"""piq.vif_p refuses smaller images: the 17x17 window and three 2x decimations need 41 pixels."""


def _piq_version() -> str:
    """piq's version, for the recorded reference, from its installed metadata: importing piq costs ~1-3 s of every
    ``srbench eval`` start-up and srbench computes VIFp itself (piq is only the reference it equals)."""
    try:
        return importlib.metadata.version("piq")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - piq is a dependency
        raise ImportError("piq is not installed") from None


def vif(sr: Tensor, hr: Tensor, sigma_n_sq: float = SIGMA_N_SQ, data_range: float = PEAK) -> Tensor:
    """Per-image VIFp of the distorted ``sr`` given the reference ``hr``, both ``(N, 1, H, W)`` in ``[0, data_range]``.

    Order matters: ``vif(sr, hr) != vif(hr, sr)`` in general. Raises ``ValueError`` for images smaller than
    41x41, for mismatched shapes and for values outside ``[0, data_range]``. Returns float64 ``(N,)`` on the
    input device.
    """
    if sr.shape != hr.shape:
        raise ValueError(f"vif: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.dim() != 4 or sr.shape[1] != 1:
        raise ValueError(f"vif: expected (N, 1, H, W) luminance, got shape {tuple(sr.shape)}")
    h, w = sr.shape[-2:]
    if h < MIN_SIZE or w < MIN_SIZE:
        raise ValueError(f"vif: image {h}x{w} is smaller than the minimum {MIN_SIZE}x{MIN_SIZE} of VIFp")
    for label, t in (("sr", sr), ("hr", hr)):
        if t.numel() and not (bool(t.min() >= 0) and bool(t.max() <= data_range)):
            raise ValueError(f"vif: {label} values must lie in [0, {data_range}] (found NaN or out of range)")
    if sr.shape[0] == 0:
        return sr.new_zeros(0, dtype=torch.float64)
    scale = 255.0 / data_range
    scores = [
        _vif_one(x[0] * scale, y[0] * scale, sigma_n_sq)
        for x, y in zip(sr.to(torch.float64), hr.to(torch.float64), strict=True)
    ]
    return torch.stack(scores)


def _window(size: int) -> Tensor:
    """Normalised 1-D factor of the size x size Gaussian window with sigma = size / 5."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * (size / 5) ** 2))
    return g / g.sum()


def _vif_one(x: Tensor, y: Tensor, sigma_n_sq: float) -> Tensor:
    """VIFp of one distorted image ``x`` given the reference ``y``, both ``(H, W)`` float64 on [0, 255]."""
    num = x.new_zeros(())
    den = x.new_zeros(())
    for j in range(4):
        size = 2 ** (4 - j) + 1
        g = _window(size).to(x.device)
        if j > 0:  # filter with this scale's window, then decimate by 2
            pair = _filter_valid(torch.stack([x, y]), g)[:, ::2, ::2]
            x, y = pair[0], pair[1]
        # the information maps are filled strip by strip (cache-sized filtering), then summed whole
        num_map = x.new_empty(x.shape[0] - size + 1, x.shape[1] - size + 1)
        den_map = torch.empty_like(num_map)
        for top, stats in filtered_strips(second_moments(x, y), g):
            rows = slice(top, top + stats.shape[1])
            _information(stats, sigma_n_sq, num_map[rows], den_map[rows])
        num = num + num_map.sum()
        den = den + den_map.sum()
    return (num + EPS) / (den + EPS)


def _information(stats: Tensor, sigma_n_sq: float, num_out: Tensor, den_out: Tensor) -> None:
    """log10 terms of VIFp's numerator and denominator from the filtered ``(x, y, x^2, y^2, xy)`` statistics."""
    mu_x, mu_y, xx, yy, xy = stats.unbind(0)
    sigma_x_sq = torch.relu(xx - mu_x * mu_x)
    sigma_y_sq = torch.relu(yy - mu_y * mu_y)
    sigma_xy = xy - mu_x * mu_y
    gain = sigma_xy / (sigma_y_sq + EPS)
    sigma_v_sq = sigma_x_sq - gain * sigma_xy
    ref_ok = sigma_y_sq >= EPS
    gain = torch.where(ref_ok, gain, 0.0)
    sigma_v_sq = torch.where(ref_ok, sigma_v_sq, sigma_x_sq)
    sigma_y_sq = torch.where(ref_ok, sigma_y_sq, 0.0)
    dist_ok = sigma_x_sq >= EPS
    gain = torch.where(dist_ok, gain, 0.0)
    sigma_v_sq = torch.where(dist_ok, sigma_v_sq, 0.0)
    sigma_v_sq = torch.where(gain >= 0, sigma_v_sq, sigma_x_sq)
    gain = torch.relu(gain)
    sigma_v_sq = torch.where(sigma_v_sq > EPS, sigma_v_sq, EPS)
    torch.log10(1.0 + gain**2 * sigma_y_sq / (sigma_v_sq + sigma_n_sq), out=num_out)
    torch.log10(1.0 + sigma_y_sq / sigma_n_sq, out=den_out)


METRICS.add(
    "vif",
    MetricSpec(
        name="vif",
        label="VIFp (pixel domain)",
        higher_is_better=True,
        fn=vif,
        settings={
            "variant": "VIFp, pixel domain, 4 scales (vifp_mscale.m)",
            "sigma_n_sq": SIGMA_N_SQ,
            "windows": "gaussian N = 17, 9, 5, 3, sigma = N / 5, valid filtering, 2x decimation between scales",
            "order": "x=distorted, y=reference",
            "eps": 1e-8,
            "dtype": "float64",
            "implementation": "srbench separable float64, equals piq.vif_p",
            "reference": f"piq {_piq_version()} vif_p",
        },
        min_size=MIN_SIZE,
        decimals=4,
    ),
)
