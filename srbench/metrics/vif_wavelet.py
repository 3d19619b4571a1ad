"""Wavelet-domain VIF (Sheikh & Bovik 2006), equal to the authors' ``vifvec.m``; registered as ``vif-wavelet``.

This is the VIF of the paper, not the pixel-domain VIFp of :mod:`srbench.metrics.vif` (``vif``): a different
number under a different name. The reference image C (``hr``) and the distorted image D (``sr``), gray on
[0, 255], are decomposed by a steerable pyramid (Simoncelli's ``buildSpyr(img, 4, 'sp5Filters', 'reflect1')``:
4 levels x 6 orientations of the order-5 filters, 'reflect1' borders = mirror about the edge pixel). Of the 26
subbands, ``vifvec.m`` keeps 8, numbered in ``ind2wtree`` order (1 = low-pass residual, then the levels from the
coarsest, orientations in reverse): 4, 7, 10, ..., 25, i.e. orientations 0 and 90 degrees of each level. Per kept
subband b, with M = 3:

* both subbands are cropped to a multiple of M;
* distortion channel (``vifsub_est_M.m``): with a w x w box window, w = 2^lev + 1 (lev = ceil((b - 1) / 6): 3 at
  the coarsest level ... 17 at the finest), evaluated at the centre of every M x M block (``corrDn`` with
  'reflect1', step M, from pixel 2): the regression gain g = cov(C, D) / (var(C) + tol) and the error variance
  sigma_v^2 = (var(D) - g cov(C, D)) / w^2 (sums over the window), tol = 1e-15, with the guards of the release
  (var(C) < tol: g = 0, sigma_v^2 = var(D); var(D) < tol: g = 0, sigma_v^2 = 0; g < 0: sigma_v^2 = var(D), g = 0;
  sigma_v^2 floored at tol);
* reference GSM (``refparams_vecgsm.m``): C_U, the covariance of all (overlapping) M x M patches of C as
  9-vectors (divided by their count), its eigenvalues lambda_k, and per non-overlapping M x M block u the
  multiplier field s^2 = u^T C_U^-1 u / M^2;
* ceil(((w - 1) / 2) / M) blocks are dropped at every border of g, sigma_v^2 and s^2.

Then, with the visual noise sigma_n^2 = 0.4,

    VIF = sum_b sum_blocks sum_k log2(1 + g^2 s^2 lambda_k / (sigma_v^2 + sigma_n^2))
          / sum_b sum_blocks sum_k log2(1 + s^2 lambda_k / sigma_n^2)

**Not symmetric**: ``vif_wavelet(sr, hr)`` takes the distorted image first, the reference second (``vifvec.m``
takes them the other way round: ``vifvec(imorg, imdist)``). 1 for identical images; it can exceed 1 for
contrast enhancement. Images must be at least 72 x 72 (four pyramid levels of the 9-tap filters).

The pyramid is pyrtools' ``SteerablePyramidSpace`` (the Laboratory for Computational Vision's Python port of
matlabPyrTools, with the same C ``corrDn``); the rest is float64 numpy, per image, on the CPU (inputs on another
device are copied there). IQA-PyTorch's ResultsCalibra lists the official ``vifvec.m`` scores of five TID2013
pairs (``rgb2gray`` of the RGB files, uint8): this module reproduces all five to the 4 printed digits
(``tests/metrics/test_vif_wavelet.py``); pyiqa's own float32 port is listed there at 0.9104 and 0.175 for two
of them (official 0.9103 and 0.1745).

References: H. R. Sheikh and A. C. Bovik, "Image information and visual quality", IEEE TIP 15(2):430-444, 2006,
doi:10.1109/TIP.2005.859378; LIVE ``vifvec_release`` (``vifvec.m``, ``vifsub_est_M.m``, ``refparams_vecgsm.m``,
``ind2wtree.m``); E. P. Simoncelli and W. T. Freeman, "The steerable pyramid", ICIP 1995; conventions section 4.2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from srbench.metrics.base import METRICS, MetricSpec

M = 3
"""Side of the GSM blocks."""
SUBBANDS = (4, 7, 10, 13, 16, 19, 22, 25)
"""``vifvec.m``'s subbands, in ``ind2wtree`` numbering."""
LEVELS = 4
ORDER = 5
"""Steerable-pyramid filters ``sp5Filters``: 6 orientations."""
SIGMA_N_SQ = 0.4
TOL = 1e-15
PEAK = 255.0
MIN_SIZE = 72
"""Smallest height and width: ``buildSpyr`` needs 72 pixels for 4 levels of the 9 x 9 ``sp5`` low-pass."""


def wtree_band(sub: int) -> tuple[int, int]:
    """The pyrtools key ``(level, orientation)`` of ``ind2wtree`` subband ``sub`` (2..25; level 0 = finest).

    ``ind2wtree`` reverses ``buildSpyr``'s band order (high-pass, level 1 orientations 1..6, ..., level 4, low-pass).
    """
    if not 2 <= sub <= 1 + LEVELS * (ORDER + 1):
        raise ValueError(f"subband {sub} is not an oriented band")
    return LEVELS - 1 - (sub - 2) // (ORDER + 1), ORDER - (sub - 2) % (ORDER + 1)


def _window_level(sub: int) -> int:
    """``lev = ceil((sub - 1) / 6)`` of ``vifvec.m``: 1 at the coarsest kept level, 4 at the finest."""
    return math.ceil((sub - 1) / (ORDER + 1))


def _pyramid(image: np.ndarray) -> dict[object, np.ndarray]:
    import pyrtools

    return pyrtools.pyramids.SteerablePyramidSpace(image, height=LEVELS, order=ORDER, edge_type="reflect1").pyr_coeffs


def _block_sums(a: np.ndarray, size: int) -> np.ndarray:
    """``corrDn(a, ones(size), 'reflect1', [M M], [2 2], size(a) - 1)``: box sums at the centres of M x M blocks."""
    import pyrtools

    h, w = a.shape
    return np.asarray(
        pyrtools.corrDn(a, np.ones((size, size)), edge_type="reflect1", step=(M, M), start=(1, 1), stop=(h - 1, w - 1))
    )


def distortion_channel(ref: np.ndarray, dist: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``vifsub_est_M.m`` for one subband pair (cropped to multiples of M): gain g and error variance sigma_v^2."""
    n = size * size
    mean_x = _block_sums(ref, size) / n
    mean_y = _block_sums(dist, size) / n
    cov = _block_sums(ref * dist, size) - n * mean_x * mean_y
    ss_x = np.maximum(_block_sums(ref * ref, size) - n * mean_x**2, 0.0)
    ss_y = np.maximum(_block_sums(dist * dist, size) - n * mean_y**2, 0.0)
    g = cov / (ss_x + TOL)
    vv = (ss_y - g * cov) / n
    flat_ref = ss_x < TOL
    g[flat_ref] = 0.0
    vv[flat_ref] = ss_y[flat_ref]
    flat_dist = ss_y < TOL
    g[flat_dist] = 0.0
    vv[flat_dist] = 0.0
    negative = g < 0
    vv[negative] = ss_y[negative]
    g[negative] = 0.0
    vv[vv <= TOL] = TOL
    return g, vv


def reference_gsm(ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``refparams_vecgsm.m`` for one reference subband (cropped to multiples of M): the field s^2 per block and
    the eigenvalues of the patch covariance C_U."""
    h, w = ref.shape
    # every (overlapping) M x M patch as an M^2-vector; the component order (column offset outer) is MATLAB's,
    # and any order used alike for C_U and the blocks gives the same s^2
    patches = np.stack([ref[k : h - M + k + 1, j : w - M + j + 1].ravel() for j in range(M) for k in range(M)])
    centred = patches - patches.mean(axis=1, keepdims=True)
    cov = centred @ centred.T / patches.shape[1]
    blocks = np.stack([ref[k::M, j::M].ravel() for j in range(M) for k in range(M)])
    field = (np.linalg.solve(cov, blocks) * blocks).sum(axis=0) / (M * M)
    return field.reshape(h // M, w // M), np.linalg.eigvalsh(cov)


def vif_wavelet_np(dist: np.ndarray, ref: np.ndarray, sigma_n_sq: float = SIGMA_N_SQ) -> float:
    """Wavelet-domain VIF of one distorted image given the reference, ``(H, W)`` float64 arrays on [0, 255]."""
    pyr_ref, pyr_dist = _pyramid(ref), _pyramid(dist)
    num = den = 0.0
    for sub in SUBBANDS:
        key = wtree_band(sub)
        size = 2 ** _window_level(sub) + 1
        c, d = pyr_ref[key], pyr_dist[key]
        h, w = (c.shape[0] // M) * M, (c.shape[1] // M) * M
        c, d = c[:h, :w], d[:h, :w]
        g, vv = distortion_channel(c, d, size)
        field, eigenvalues = reference_gsm(c)
        off = math.ceil(((size - 1) / 2) / M)
        valid = (slice(off, g.shape[0] - off), slice(off, g.shape[1] - off))
        g, vv, field = g[valid], vv[valid], field[valid]
        for lam in eigenvalues:
            num += float(np.log2(1.0 + g * g * field * lam / (vv + sigma_n_sq)).sum())
            den += float(np.log2(1.0 + field * lam / sigma_n_sq).sum())
    return num / den


def vif_wavelet(sr: Tensor, hr: Tensor, sigma_n_sq: float = SIGMA_N_SQ, data_range: float = PEAK) -> Tensor:
    """Per-image wavelet-domain VIF of the distorted ``sr`` given the reference ``hr``, ``(N, 1, H, W)`` in
    ``[0, data_range]`` (rescaled to [0, 255]). Order matters. Returns float64 ``(N,)`` on the input device."""
    if sr.shape != hr.shape:
        raise ValueError(f"vif-wavelet: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.dim() != 4 or sr.shape[1] != 1:
        raise ValueError(f"vif-wavelet: expected (N, 1, H, W) luminance, got shape {tuple(sr.shape)}")
    h, w = sr.shape[-2:]
    if h < MIN_SIZE or w < MIN_SIZE:
        raise ValueError(f"vif-wavelet: image {h}x{w} is smaller than the minimum {MIN_SIZE}x{MIN_SIZE}")
    for label, t in (("sr", sr), ("hr", hr)):
        if t.numel() and not (bool(t.min() >= 0) and bool(t.max() <= data_range)):
            raise ValueError(f"vif-wavelet: {label} values must lie in [0, {data_range}] (found NaN or out of range)")
    scale = PEAK / data_range
    x = sr.detach().to("cpu", torch.float64)[:, 0].numpy() * scale
    y = hr.detach().to("cpu", torch.float64)[:, 0].numpy() * scale
    scores = [
        vif_wavelet_np(np.ascontiguousarray(a), np.ascontiguousarray(b), sigma_n_sq) for a, b in zip(x, y, strict=True)
    ]
    return torch.tensor(scores, dtype=torch.float64, device=sr.device)


METRICS.add(
    "vif-wavelet",
    MetricSpec(
        name="vif-wavelet",
        label="VIF wavelet (Y)",
        higher_is_better=True,
        fn=vif_wavelet,
        settings={
            "variant": "wavelet-domain VIF (vifvec.m, Sheikh & Bovik 2006), not VIFp",
            "pyramid": "steerable, buildSpyr(img, 4, 'sp5Filters', 'reflect1') (pyrtools SteerablePyramidSpace)",
            "subbands": list(SUBBANDS),
            "M": M,
            "sigma_n_sq": SIGMA_N_SQ,
            "tol": TOL,
            "windows": "box 2^lev + 1, lev = ceil((subband - 1) / 6), at block centres, reflect1",
            "border_blocks_dropped": "ceil(((window - 1) / 2) / M)",
            "order": "x=distorted, y=reference",
            "dtype": "float64",
            "implementation": "srbench numpy + pyrtools, equals vifvec.m (ResultsCalibra official values)",
        },
        min_size=MIN_SIZE,
        decimals=4,
    ),
)
