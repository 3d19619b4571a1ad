"""FSIM and FSIMc (Zhang, Zhang, Mou & Zhang 2011), equal to the authors' ``FeatureSIM.m`` at every image size.

Three registered metrics, one definition each:

* ``fsim``: gray FSIM of the given (Y) channel, the FSIM output of ``FeatureSIM.m`` (``variant="featuresim"``);
* ``fsim-piq``: the same formula with piq 0.8.0's pooling and details (``variant="piq"``), for comparison with
  piq-computed numbers; differs from ``fsim`` by up to ~1e-2 where the pooling differs;
* ``fsimc``: colour FSIMc on RGB, the FSIMc output of ``FeatureSIM.m`` (:func:`fsimc`).

For a distorted image x and a reference image y (both [0, 255] luminance), with phase congruency PC and
Scharr gradient magnitude G computed on each:

    S_PC = (2 PC_x PC_y + T1) / (PC_x^2 + PC_y^2 + T1),   T1 = 0.85
    S_G  = (2 G_x G_y + T2) / (G_x^2 + G_y^2 + T2),       T2 = 160
    PC_m = max(PC_x, PC_y)
    FSIM = sum(S_PC * S_G * PC_m) / sum(PC_m)

Both images are first pooled by F = max(1, round(min(H, W) / 256)). ``FeatureSIM.m`` rounds with MATLAB's
``round`` (halves away from zero), filters with an F x F box (``conv2(..., 'same')``, zero padding) and keeps
every F-th pixel from the first (:func:`box_downsample`); piq rounds halves to even and averages
non-overlapping F x F blocks. The two agree only for F = 1, or F = 2 with even sides.

Phase congruency follows Kovesi's ``phasecong2`` as used by the authors' ``FeatureSIM.m`` and ported by piq: a bank
of log-Gabor transfer functions G_os (4 scales s with wavelengths 6, 12, 24, 48; 4 orientations o at 0, 45, 90, 135
degrees; radial bandwidth sigma_f = 0.55; angular Gaussian sigma = pi / (4 * 1.2)), each multiplied by a Butterworth
low-pass (order 15, cutoff 0.45) and zero at DC. Per orientation, with complex responses z_s = e_s + i o_s =
ifft2(fft2(image) G_os) (even and odd part),
their sum Z = sum_s z_s and the unit vector m = Z / (|Z| + e) (e = 1e-4 in ``phasecong2.m``, float64 machine
epsilon in piq):

    E_o = sum_s [Re(z_s conj m) - |Im(z_s conj m)|] = (|Z|^2 - sum_s |o_s Re Z - e_s Im Z|) / (|Z| + e)
    T_o = sqrt(median(|z_0|^2) / ln 2 / sum_f G_o0(f)^2 * sum_xy (sum_s g_os)^2)
          * (sqrt(pi / 2) + k sqrt(2 - pi / 2)) / 1.7,   k = 2
    PC  = (sum_o max(E_o - T_o, 0) + eps) / (sum_o sum_s |z_s| + eps),   eps = float64 machine epsilon

where g_os = Re(ifft2(G_os)) sqrt(HW) is the spatial even filter, the median is taken over all pixels (MATLAB's
``median``, the mean of the two middle values for an even count; piq takes the lower one), and T_o is the Rayleigh noise
threshold estimated from the smallest scale, divided by Kovesi's empirical 1.7 for the PC_2 measure. The
gradient uses the Scharr kernels [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]] / 16 and their transpose with one
pixel of zero padding: G = sqrt(G_h^2 + G_v^2). The filter angle is measured as in ``FeatureSIM.m``
(x along the columns); piq's bank is its transpose (:func:`log_gabor_spectra`).

FSIMc (:func:`fsimc`) converts RGB to YIQ (Y = 0.299 R + 0.587 G + 0.114 B, I = 0.596 R - 0.274 G - 0.322 B,
Q = 0.211 R - 0.523 G + 0.312 B), pools all three channels, computes PC and G on Y and multiplies the summand by
Re[(S_I S_Q)^0.03], with S_I, S_Q of the form above and T3 = T4 = 200.

Measured: ``fsim`` and ``fsimc`` equal ``FeatureSIM.m`` (an independent line-by-line port,
``../shared/reference/fixtures/featuresim``) within 3e-11 with float64 internals and 1e-8 with float32 at
F = 2 and 3, odd and even sides; ``fsimc`` reproduces IQA-PyTorch's ResultsCalibra official FSIMc scores to
their 4 printed digits (``tests/metrics/test_fsim.py``).

Relation to piq 0.8.0 (``piq.fsim(x / 255, y / 255, data_range=1.0, chromatic=False, reduction='none')``): same
formula and constants, own code; ``fsim-piq`` reproduces its details. The filter bank and the threshold constants
derived from it are built once per (H, W, dtype, device) and cached (piq rebuilds them, and inverse-transforms the
filters, every call); the noise energy sum_xy (sum_s g_os)^2 is computed from the transfer functions by Parseval's
theorem, with no inverse transform (:func:`even_filter_energy`), which makes a new shape's bank about 5x cheaper to
build.
The phase-congruency stage runs in ``compute_dtype`` (float32 by default); pooling, gradients, thresholds and
the similarity pooling are float64. On CPU the images are worked through one image and one orientation at a
time (cache-sized blocks; scipy's pocketfft for the inverse FFTs, numpy's introselect for the median), so a
value does not depend on the batch it is computed in. Measured agreement of ``fsim-piq`` with piq on float64
input: at most about 6e-7 absolute with float32, about 1e-15 with float64 internals (the tests pin 1e-5 and
1e-12).

The score is symmetric in its arguments. Transposing both images maps the orientation set onto itself (the
90, 45 and 0 degree filters onto the point reflections of the 0, 45 and 90 degree ones, whose responses are
complex conjugates, and 135 onto itself), so for odd x odd (pooled) shapes the score is unchanged up to
rounding. Along an even-length axis the frequency grid holds -1/2 but not +1/2 (Kovesi's and piq's grid), so
there the reflection is not exact and the score moves by about 1e-6 (observed <= 2e-6; tests allow 1e-5);
this is also why piq's transposed bank moves ``fsim-piq`` by ~1e-6 from ``FeatureSIM.m`` at F = 2, even sides.

References: L. Zhang, L. Zhang, X. Mou and D. Zhang, "FSIM: A Feature Similarity Index for Image Quality
Assessment", IEEE TIP 20(8):2378-2386, 2011, doi:10.1109/TIP.2011.2109730; P. Kovesi, "Image features from phase
congruency", Videre 1(3), 1999; the authors' ``FeatureSIM.m`` and ``phasecong2.m``; piq ``piq/fsim.py``;
conventions section 4.1.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from typing import Any, NamedTuple

import numpy as _np
import torch
import torch.nn.functional as F
from torch import Tensor

from srbench.metrics.base import METRICS, MetricSpec


@functools.cache
def _scipy_fft() -> Any:
    """``scipy.fft``, imported when FSIM first runs on the CPU (not by every ``srbench eval`` that does not score
    FSIM: about 0.3-1 s of start-up); None without scipy."""
    try:
        import scipy.fft
    except ImportError:  # pragma: no cover - scipy comes with scikit-image
        return None
    return scipy.fft


_FFT_WORKERS = 0
"""Threads for scipy's FFT on CPU; 0 means ``torch.get_num_threads()``."""

SCALES = 4
ORIENTATIONS = 4
MIN_LENGTH = 6
MULT = 2
SIGMA_F = 0.55
DELTA_THETA = 1.2
K = 2.0
T1 = 0.85
T2 = 160.0
T3 = 200.0
T4 = 200.0
LAMBDA = 0.03
LOWPASS_ORDER = 15
LOWPASS_CUTOFF = 0.45
NOISE_RESCALE = 1.7
PEAK = 255.0
EPS = torch.finfo(torch.float64).eps
MIN_SIZE = 48
"""Smallest accepted height and width: the wavelength of the coarsest default filter, 6 * 2^3 pixels."""

MAX_CHUNK_BYTES = 1 << 30
"""Target peak working memory of one chunk of the batch (complex responses and their temporaries)."""

_LIVE_COPIES = 4
"""Response-sized complex buffers alive at once in :func:`_energy_and_amplitude` (product, responses, temporaries)."""


class FilterBank(NamedTuple):
    """What FSIM needs from the log-Gabor bank; depends only on the (pooled) image shape and the parameters.

    Attributes:
        spectra: transfer functions G_os, shape ``(orientations, scales, H, W)``, zero frequency at ``[0, 0]``,
            real, in the compute dtype.
        threshold_gain: ``(orientations,)`` float64; the noise threshold of orientation o is
            ``threshold_gain[o] * sqrt(median |z_o0|^2)``.
    """

    spectra: Tensor
    threshold_gain: Tensor


def _fft_frequencies(n: int) -> Tensor:
    """Frequencies of an ``n``-point axis in FFT order (as piq's ``ifftshift(get_meshgrid(...))``).

    Integer bins 0, 1, ..., -1 divided by n for even n and by n - 1 for odd n, so that the outermost bin sits
    at 0.5 either way (Kovesi's convention).
    """
    k = torch.arange(n, dtype=torch.float64)
    k[(n + 1) // 2 :] -= n
    return k / (n if n % 2 == 0 else n - 1)


def log_gabor_spectra(
    h: int,
    w: int,
    scales: int = SCALES,
    orientations: int = ORIENTATIONS,
    min_length: float = MIN_LENGTH,
    mult: float = MULT,
    sigma_f: float = SIGMA_F,
    delta_theta: float = DELTA_THETA,
    angle_convention: str = "featuresim",
) -> Tensor:
    """The ``(orientations, scales, h, w)`` float64 log-Gabor transfer functions, zero frequency at ``[0, 0]``.

    With u the row (first axis) and v the column frequency, the filter angle is atan2(-u, v) in
    ``FeatureSIM.m``/Kovesi (``angle_convention="featuresim"``: MATLAB's ``meshgrid(xrange, yrange)``, x along
    the columns) and atan2(-v, u) in piq (``"piq"``, from its ``ij`` meshgrid), i.e. the transposed bank.
    """
    if angle_convention not in ("featuresim", "piq"):
        raise ValueError(f"angle_convention must be 'featuresim' or 'piq', got {angle_convention!r}")
    u = _fft_frequencies(h)[:, None]
    v = _fft_frequencies(w)[None, :]
    radius = torch.sqrt(u**2 + v**2)
    angle = torch.atan2(-u, v) if angle_convention == "featuresim" else torch.atan2(-v, u)
    lowpass = 1.0 / (1.0 + (radius / LOWPASS_CUTOFF) ** (2 * LOWPASS_ORDER))
    radius[0, 0] = 1.0  # keeps log() finite; the DC gain is set to zero below

    two_log_sigma_sq = 2 * math.log(sigma_f) ** 2
    radial = []
    for s in range(scales):
        centre = 1.0 / (min_length * mult**s)
        band = torch.exp(-(torch.log(radius / centre) ** 2) / two_log_sigma_sq) * lowpass
        band[0, 0] = 0.0
        radial.append(band)

    angle_sigma = math.pi / (orientations * delta_theta)
    sin_a, cos_a = torch.sin(angle), torch.cos(angle)
    angular = []
    for o in range(orientations):
        phi = o * math.pi / orientations
        # angular distance to phi via the sine and cosine of the difference (no wrap-around problem)
        d_sin = sin_a * math.cos(phi) - cos_a * math.sin(phi)
        d_cos = cos_a * math.cos(phi) + sin_a * math.sin(phi)
        angular.append(torch.exp(-(torch.atan2(d_sin, d_cos) ** 2) / (2 * angle_sigma**2)))

    return torch.stack(angular)[:, None] * torch.stack(radial)[None, :]


def even_filter_energy(spectrum: Tensor) -> Tensor:
    """sum_xy g(x, y)^2 of the spatial even filter g = Re(ifft2(S)) sqrt(HW) of real transfer functions S.

    Kovesi's sum_xy [sum_s g_s^2 + 2 sum_{s<t} g_s g_t] = sum_xy (sum_s g_s)^2 with S = sum_s G_s. Computed in
    the frequency domain, without a transform: Re(ifft2(S)) = ifft2(S_e) with S_e(f) = (S(f) + S(-f)) / 2 (S is
    real), and by Parseval sum_xy |ifft2(A)|^2 = sum_f |A(f)|^2 / (HW), so the energy is sum_f S_e(f)^2.
    ``spectrum``: ``(..., H, W)`` float, zero frequency at ``[0, 0]``; returns ``(...)``.
    """
    mirrored = torch.roll(torch.flip(spectrum, dims=(-2, -1)), shifts=(1, 1), dims=(-2, -1))  # S(-f)
    return ((spectrum + mirrored) * 0.5).square().sum(dim=(-2, -1))


@functools.lru_cache(maxsize=16)
def _filter_bank(
    h: int,
    w: int,
    dtype: torch.dtype,
    device: str,
    scales: int,
    orientations: int,
    min_length: float,
    mult: float,
    sigma_f: float,
    delta_theta: float,
    k: float,
    angle_convention: str = "featuresim",
) -> FilterBank:
    """Build the bank and its threshold constants once per shape, dtype, device and parameter set (float64 math)."""
    spectra = log_gabor_spectra(h, w, scales, orientations, min_length, mult, sigma_f, delta_theta, angle_convention)
    # sum of the squared smallest-scale transfer function (Kovesi's EM_n), per orientation
    smallest_energy = spectra[:, 0].square().sum(dim=(-2, -1))
    noise_energy = even_filter_energy(spectra.sum(dim=1))
    rayleigh = math.sqrt(math.pi / 2) + k * math.sqrt(2 - math.pi / 2)
    gain = torch.sqrt(noise_energy / (math.log(2.0) * smallest_energy)) * rayleigh / NOISE_RESCALE
    return FilterBank(spectra.to(device=device, dtype=dtype).contiguous(), gain.to(device=device))


_BANK_LOCK = threading.Lock()


def filter_bank_cache_info() -> Any:
    """Statistics (hits, misses, maxsize, currsize) of the per-shape filter-bank cache."""
    return _filter_bank.cache_info()


def clear_filter_bank_cache() -> None:
    """Drop every cached filter bank."""
    _filter_bank.cache_clear()


def _inverse_fft2(spectra: Tensor) -> Tensor:
    """``ifft2`` over the last two axes; on CPU through scipy's pocketfft when available (about 1.4x faster
    than torch's MKL path at sizes with a large prime factor, such as the 313 rows of a BSD100 crop)."""
    fft = _scipy_fft() if spectra.device.type == "cpu" else None
    if fft is not None:
        out = fft.ifft2(spectra.numpy(), workers=_FFT_WORKERS or torch.get_num_threads(), overwrite_x=True)
        return torch.from_numpy(out)
    return torch.fft.ifft2(spectra)


def _lower_median(values: Tensor) -> Tensor:
    """Lower middle element along the last axis (``torch.median`` semantics) of a float tensor."""
    n = values.shape[-1]
    if values.device.type == "cpu":  # introselect, faster than torch's CPU kthvalue/median
        arr = values.numpy()
        return torch.from_numpy(_np.partition(arr, (n - 1) // 2, axis=-1)[..., (n - 1) // 2])
    return values.kthvalue((n + 1) // 2, dim=-1).values


def _median(values: Tensor) -> Tensor:
    """MATLAB ``median`` along the last axis: the mean of the two middle elements for an even count."""
    n = values.shape[-1]
    lo, hi = (n - 1) // 2, n // 2
    if values.device.type == "cpu":
        part = _np.partition(values.numpy(), (lo, hi), axis=-1)
        return torch.from_numpy((part[..., lo].astype(_np.float64) + part[..., hi]) / 2)
    low = values.kthvalue(lo + 1, dim=-1).values.to(torch.float64)
    high = values.kthvalue(hi + 1, dim=-1).values.to(torch.float64)
    return (low + high) / 2


@dataclasses.dataclass(frozen=True)
class Variant:
    """The details in which ``FeatureSIM.m`` and piq's port differ (the definition is otherwise the same).

    Attributes:
        name: ``"featuresim"`` or ``"piq"``.
        pooling: ``"matlab"`` (F = max(1, round(min(H, W) / 256)) with MATLAB's round, half away from zero;
            ``conv2(img, ones(F) / F^2, 'same')`` with zero padding, then every F-th pixel from the first) or
            ``"avg_pool"`` (Python's round, half to even; non-overlapping F x F blocks, a partial block dropped).
        angle_convention: see :func:`log_gabor_spectra`.
        lower_median: the noise estimate's median of an even count is the lower middle element (torch) instead
            of the mean of the two middle ones (MATLAB).
        energy_eps: added to |Z| in the unit vector m = Z / (|Z| + eps): 1e-4 in ``phasecong2.m``, float64
            machine epsilon in piq.
    """

    name: str
    pooling: str
    angle_convention: str
    lower_median: bool
    energy_eps: float


FEATURESIM = Variant("featuresim", "matlab", "featuresim", lower_median=False, energy_eps=1e-4)
PIQ = Variant("piq", "avg_pool", "piq", lower_median=True, energy_eps=EPS)
VARIANTS = {v.name: v for v in (FEATURESIM, PIQ)}


def _energy_and_amplitude(
    spectrum: Tensor, spectra: Tensor, gain: Tensor, variant: Variant = FEATURESIM
) -> tuple[Tensor, Tensor]:
    """Noise-thresholded energy and total amplitude, summed over the orientations of ``spectra``.

    ``spectrum``: ``(m, H, W)`` complex image spectra; ``spectra``/``gain``: some orientations of the bank.
    Returns two ``(m, H, W)`` maps in the compute dtype.
    """
    m = spectrum.shape[0]
    n_orient, _, h, w = spectra.shape
    z = _inverse_fft2(spectrum[:, None, None] * spectra)  # (m, o, s, H, W): even + i odd
    even, odd = torch.view_as_real(z).unbind(-1)
    amplitude_sq = torch.addcmul(even * even, odd, odd)
    median_of = _lower_median if variant.lower_median else _median
    median = median_of(amplitude_sq[:, :, 0].reshape(m, n_orient, h * w)).to(torch.float64)
    amplitude = amplitude_sq.sqrt_().sum(dim=(1, 2))

    total = z.sum(dim=2)  # (m, o, H, W)
    # sum_s |Im(z_s conj Z)| = sum_s |o_s Re Z - e_s Im Z|
    deviation = (z * total.conj()[:, :, None]).imag.abs().sum(dim=2)
    total_re, total_im = torch.view_as_real(total).unbind(-1)
    norm_sq = torch.addcmul(total_re * total_re, total_im, total_im)
    energy = (norm_sq - deviation) / (norm_sq.sqrt() + variant.energy_eps)  # (m, o, H, W)

    threshold = (gain * median.sqrt()).to(energy.dtype)  # (m, o)
    energy_sum = (energy - threshold[:, :, None, None]).clamp_min_(0.0).sum(dim=1)
    return energy_sum, amplitude


def phase_congruency(
    x: Tensor, bank: FilterBank, blockwise: bool | None = None, variant: Variant = FEATURESIM
) -> Tensor:
    """Phase congruency ``(M, H, W)`` float64 of images ``x`` ``(M, H, W)`` (in the bank's dtype, [0, 255]).

    ``blockwise`` (default: on CPU) works through one image and one orientation at a time: the working set
    (4 complex maps) stays in cache, and an image's value does not depend on the batch it is in. Otherwise
    (default on GPUs) the whole of ``x`` is transformed at once.
    """
    if blockwise is None:
        blockwise = x.device.type == "cpu"
    if not blockwise:
        energy, amplitude = _energy_and_amplitude(torch.fft.fft2(x), bank.spectra, bank.threshold_gain, variant)
    else:
        energy = torch.zeros_like(x)
        amplitude = torch.zeros_like(x)
        for i in range(x.shape[0]):
            spectrum = torch.fft.fft2(x[i : i + 1])
            for o in range(bank.spectra.shape[0]):
                e, a = _energy_and_amplitude(spectrum, bank.spectra[o : o + 1], bank.threshold_gain[o : o + 1], variant)
                energy[i] += e[0]
                amplitude[i] += a[0]
    return (energy.to(torch.float64) + EPS) / (amplitude.to(torch.float64) + EPS)


def gradient_magnitude(x: Tensor) -> Tensor:
    """Scharr gradient magnitude ``(M, H, W)`` of images ``(M, H, W)``, zero padding (piq's ``gradient_map``).

    Separable form of the kernels [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]] / 16 and their transpose.
    """
    p = F.pad(x, (1, 1, 1, 1))
    d_col = p[:, :, 2:] - p[:, :, :-2]  # (M, H + 2, W)
    d_row = p[:, 2:, :] - p[:, :-2, :]  # (M, H, W + 2)
    g_col = (3 * (d_col[:, :-2] + d_col[:, 2:]) + 10 * d_col[:, 1:-1]) / 16
    g_row = (3 * (d_row[:, :, :-2] + d_row[:, :, 2:]) + 10 * d_row[:, :, 1:-1]) / 16
    return torch.sqrt(g_col * g_col + g_row * g_row)


def _similarity(a: Tensor, b: Tensor, c: float) -> Tensor:
    return (2.0 * a * b + c) / (a * a + b * b + c)


def downsample_factor(h: int, w: int, variant: str = "featuresim") -> int:
    """Pooling factor F = max(1, round(min(H, W) / 256)).

    ``variant="featuresim"``: MATLAB's ``round`` (halves away from zero), as ``FeatureSIM.m``; ``"piq"``:
    Python's ``round`` (halves to even), as piq. They differ when min(H, W) / 256 is 2.5, 4.5, ...
    """
    ratio = min(h, w) / 256
    if VARIANTS[variant].pooling == "matlab":
        return max(1, math.floor(ratio + 0.5))
    return max(1, round(ratio))


def box_downsample(x: Tensor, factor: int) -> Tensor:
    """``FeatureSIM.m``'s pooling of ``(..., H, W)`` images: ``conv2(x, ones(F) / F^2, 'same')``, then
    ``x(1:F:end, 1:F:end)``.

    ``conv2(..., 'same')`` with an F-tap box centres the box at offset floor(F / 2) of the full convolution, so
    the sample at pixel i F averages the F x F block starting at i F - (ceil(F / 2) - 1), with zeros outside the
    image; there are ceil(H / F) x ceil(W / F) samples. Computed as zero padding (negative padding crops) plus
    non-overlapping F x F averaging. F = 2 on even sides equals plain 2 x 2 block averaging.
    """
    if factor == 1:
        return x
    h, w = x.shape[-2:]
    before = (factor + 1) // 2 - 1
    after_h = -(-h // factor) * factor - h - before
    after_w = -(-w // factor) * factor - w - before
    padded = F.pad(x, (before, after_w, before, after_h))
    pooled = F.avg_pool2d(padded.reshape(-1, 1, *padded.shape[-2:]), factor)
    return pooled.reshape(*x.shape[:-2], *pooled.shape[-2:])


def _pool(x: Tensor, variant: Variant) -> Tensor:
    """Both pooling rules on ``(M, H, W)`` float64 images."""
    h, w = x.shape[-2:]
    factor = downsample_factor(h, w, variant.name)
    if factor == 1:
        return x
    if variant.pooling == "matlab":
        return box_downsample(x, factor)
    return F.avg_pool2d(x, factor)


def chunk_size(
    h: int, w: int, compute_dtype: torch.dtype, scales: int, orientations: int, max_bytes: int = MAX_CHUNK_BYTES
) -> int:
    """Image pairs per chunk so that the complex responses of a chunk (sr and hr) stay below ``max_bytes``."""
    complex_bytes = 2 * torch.finfo(compute_dtype).bits // 8
    per_pair = 2 * scales * orientations * h * w * complex_bytes * _LIVE_COPIES
    return max(1, max_bytes // per_pair)


def _check_pair(name: str, sr: Tensor, hr: Tensor, min_size: int, data_range: float) -> None:
    if sr.shape != hr.shape:
        raise ValueError(f"{name}: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.dim() != 4 or sr.shape[1] != 1:
        raise ValueError(f"{name}: expected (N, 1, H, W) luminance, got shape {tuple(sr.shape)}")
    h, w = sr.shape[-2:]
    if h < min_size or w < min_size:
        raise ValueError(f"{name}: image {h}x{w} is smaller than the minimum {min_size}x{min_size}")
    for label, t in (("sr", sr), ("hr", hr)):
        if t.numel() and not (bool(t.min() >= 0) and bool(t.max() <= data_range)):
            raise ValueError(f"{name}: {label} values must lie in [0, {data_range}] (found NaN or out of range)")


def _check_values(name: str, sr: Tensor, hr: Tensor, data_range: float) -> None:
    for label, t in (("sr", sr), ("hr", hr)):
        if t.numel() and not (bool(t.min() >= 0) and bool(t.max() <= data_range)):
            raise ValueError(f"{name}: {label} values must lie in [0, {data_range}] (found NaN or out of range)")


def _similarity_sums(
    luma: tuple[Tensor, Tensor],
    params: dict[str, Any],
    chroma: tuple[Tensor, Tensor, Tensor, Tensor] | None = None,
) -> Tensor:
    """FSIM (``chroma=None``) or FSIMc of pooled float64 ``(M, H, W)`` luma pairs; returns float64 ``(M,)``.

    ``chroma``: the pooled I and Q channels ``(i_x, q_x, i_y, q_y)``; the chromatic factor is
    Re[(S_I S_Q)^lambda], the real part of the principal complex power, as MATLAB's ``real(... .^ lambda)``.
    """
    variant: Variant = params["variant"]
    compute_dtype: torch.dtype = params["compute_dtype"]
    x, y = luma
    h, w = x.shape[-2:]
    with _BANK_LOCK:  # evaluate() scores several groups at once: build each shape's bank once, not per thread
        bank = _filter_bank(
            h, w, compute_dtype, str(x.device), params["scales"], params["orientations"], params["min_length"],
            params["mult"], params["sigma_f"], params["delta_theta"], params["k"], variant.angle_convention,
        )  # fmt: skip
    step = chunk_size(h, w, compute_dtype, params["scales"], params["orientations"], params["max_chunk_bytes"])
    scores = []
    for start in range(0, x.shape[0], step):
        part = slice(start, start + step)
        both = torch.cat([x[part], y[part]])  # one FFT batch for sr and hr
        pc_x, pc_y = phase_congruency(both.to(compute_dtype), bank, variant=variant).chunk(2)
        g_x, g_y = gradient_magnitude(both).chunk(2)
        pc_max = torch.maximum(pc_x, pc_y)
        weighted = _similarity(pc_x, pc_y, T1) * _similarity(g_x, g_y, T2) * pc_max
        if chroma is not None:
            i_x, q_x, i_y, q_y = (c[part] for c in chroma)
            product = _similarity(i_x, i_y, T3) * _similarity(q_x, q_y, T4)
            # real part of the principal power: |p|^lambda cos(lambda pi) where p < 0
            power = product.abs().pow(LAMBDA)
            weighted = weighted * torch.where(product < 0, power * math.cos(LAMBDA * math.pi), power)
        scores.append(weighted.sum(dim=(-2, -1)) / pc_max.sum(dim=(-2, -1)))
    return torch.cat(scores) if scores else x.new_zeros(0)


def _params(variant: str, compute_dtype: torch.dtype, **kwargs: Any) -> dict[str, Any]:
    if variant not in VARIANTS:
        raise ValueError(f"fsim: variant must be one of {sorted(VARIANTS)}, got {variant!r}")
    if compute_dtype not in (torch.float32, torch.float64):
        raise ValueError(f"fsim: compute_dtype must be torch.float32 or torch.float64, got {compute_dtype}")
    return {"variant": VARIANTS[variant], "compute_dtype": compute_dtype, **kwargs}


def fsim(
    sr: Tensor,
    hr: Tensor,
    *,
    variant: str = "featuresim",
    scales: int = SCALES,
    orientations: int = ORIENTATIONS,
    min_length: float = MIN_LENGTH,
    mult: float = MULT,
    sigma_f: float = SIGMA_F,
    delta_theta: float = DELTA_THETA,
    k: float = K,
    data_range: float = PEAK,
    compute_dtype: torch.dtype = torch.float32,
    max_chunk_bytes: int = MAX_CHUNK_BYTES,
) -> Tensor:
    """Per-image gray FSIM of ``sr`` against ``hr``, both ``(N, 1, H, W)`` with values in ``[0, data_range]``.

    ``variant="featuresim"`` (default, the metric ``fsim``) equals the FSIM output of the authors'
    ``FeatureSIM.m`` on a gray image at every size (MATLAB pooling; within 1e-10 of a line-by-line port with
    ``compute_dtype=torch.float64``, about 1e-7 with the default float32 FFT stage). ``variant="piq"`` (the
    metric ``fsim-piq``) equals ``piq.fsim(sr / data_range, hr / data_range, data_range=1.0, chromatic=False,
    reduction='none')`` (about 1e-6 with float32, 1e-12 with float64), which differs from ``FeatureSIM.m`` by up
    to ~1e-2 where the pooling differs (see :class:`Variant`). Inputs are converted to float64; pooling,
    gradients, thresholds and the final pooling are float64. Batches are processed in chunks of about
    ``max_chunk_bytes`` working memory. Symmetric in ``sr`` and ``hr``. Returns float64 ``(N,)`` on the input
    device.
    """
    _check_pair("fsim", sr, hr, MIN_SIZE, data_range)
    params = _params(
        variant, compute_dtype, scales=scales, orientations=orientations, min_length=min_length, mult=mult,
        sigma_f=sigma_f, delta_theta=delta_theta, k=k, max_chunk_bytes=max_chunk_bytes,
    )  # fmt: skip
    x = sr.detach()[:, 0].to(torch.float64)  # not differentiable (numpy/scipy on CPU)
    y = hr.detach()[:, 0].to(torch.float64)
    if data_range != PEAK:
        x = x * (PEAK / data_range)
        y = y * (PEAK / data_range)
    return _similarity_sums((_pool(x, params["variant"]), _pool(y, params["variant"])), params)


def rgb_to_yiq(rgb: Tensor) -> Tensor:
    """``(N, 3, H, W)`` RGB -> ``(N, 3, H, W)`` Y, I, Q with ``FeatureSIM.m``'s coefficients (float64, same scale):
    Y = 0.299 R + 0.587 G + 0.114 B, I = 0.596 R - 0.274 G - 0.322 B, Q = 0.211 R - 0.523 G + 0.312 B."""
    r, g, b = rgb.to(torch.float64).unbind(1)
    return torch.stack(
        [0.299 * r + 0.587 * g + 0.114 * b, 0.596 * r - 0.274 * g - 0.322 * b, 0.211 * r - 0.523 * g + 0.312 * b],
        dim=1,
    )


def fsimc(
    sr: Tensor,
    hr: Tensor,
    *,
    data_range: float = PEAK,
    compute_dtype: torch.dtype = torch.float32,
    max_chunk_bytes: int = MAX_CHUNK_BYTES,
) -> Tensor:
    """Per-image FSIMc (colour FSIM) of RGB ``sr`` against ``hr``, ``(N, 3, H, W)`` in ``[0, data_range]``.

    The FSIMc output of ``FeatureSIM.m``: YIQ (:func:`rgb_to_yiq`) on the [0, 255] scale, all three channels
    pooled as in :func:`fsim` (MATLAB pooling), phase congruency and gradients on Y, and

        FSIMc = sum(S_PC S_G Re[(S_I S_Q)^lambda] PC_m) / sum(PC_m),   S_I, S_Q with T3 = T4 = 200, lambda = 0.03.

    ``(N, 1, H, W)`` input is a gray image, for which ``FeatureSIM.m`` sets I = Q = 1: FSIMc then equals
    :func:`fsim`. Its luminance is YIQ's Y (unrounded, full range), not BT.601 studio-range Y. Symmetric.
    Returns float64 ``(N,)`` on the input device.
    """
    if sr.dim() == 4 and sr.shape[1] == 1:
        return fsim(sr, hr, data_range=data_range, compute_dtype=compute_dtype, max_chunk_bytes=max_chunk_bytes)
    if sr.shape != hr.shape:
        raise ValueError(f"fsimc: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.dim() != 4 or sr.shape[1] != 3:
        raise ValueError(f"fsimc: expected (N, 3, H, W) RGB, got shape {tuple(sr.shape)}")
    h, w = sr.shape[-2:]
    if h < MIN_SIZE or w < MIN_SIZE:
        raise ValueError(f"fsimc: image {h}x{w} is smaller than the minimum {MIN_SIZE}x{MIN_SIZE}")
    _check_values("fsimc", sr, hr, data_range)
    params = _params(
        "featuresim", compute_dtype, scales=SCALES, orientations=ORIENTATIONS, min_length=MIN_LENGTH, mult=MULT,
        sigma_f=SIGMA_F, delta_theta=DELTA_THETA, k=K, max_chunk_bytes=max_chunk_bytes,
    )  # fmt: skip
    scale = PEAK / data_range
    yiq_x = _pool(rgb_to_yiq(sr.detach() * scale).flatten(0, 1), FEATURESIM).unflatten(0, (-1, 3))
    yiq_y = _pool(rgb_to_yiq(hr.detach() * scale).flatten(0, 1), FEATURESIM).unflatten(0, (-1, 3))
    chroma = (yiq_x[:, 1], yiq_x[:, 2], yiq_y[:, 1], yiq_y[:, 2])
    return _similarity_sums((yiq_x[:, 0], yiq_y[:, 0]), params, chroma)


@dataclasses.dataclass(frozen=True)
class FSIM:
    """Gray FSIM with fixed settings, callable like :func:`fsim`: ``FSIM()(sr, hr) -> (N,)`` float64."""

    variant: str = "featuresim"
    scales: int = SCALES
    orientations: int = ORIENTATIONS
    min_length: float = MIN_LENGTH
    mult: float = MULT
    sigma_f: float = SIGMA_F
    delta_theta: float = DELTA_THETA
    k: float = K
    data_range: float = PEAK
    compute_dtype: torch.dtype = torch.float32
    max_chunk_bytes: int = MAX_CHUNK_BYTES

    def _kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def __call__(self, sr: Tensor, hr: Tensor) -> Tensor:
        return fsim(sr, hr, **self._kwargs())

    @property
    def settings(self) -> dict[str, Any]:
        """The settings as plain values (``compute_dtype`` as a string)."""
        out = self._kwargs()
        out["compute_dtype"] = str(self.compute_dtype).removeprefix("torch.")
        return out


def fsim_piq(sr: Tensor, hr: Tensor) -> Tensor:
    """:func:`fsim` with ``variant="piq"`` (the metric ``fsim-piq``)."""
    return fsim(sr, hr, variant="piq")


_COMMON_SETTINGS: dict[str, Any] = {
    "scales": SCALES,
    "orientations": ORIENTATIONS,
    "min_length": MIN_LENGTH,
    "mult": MULT,
    "sigma_f": SIGMA_F,
    "delta_theta": DELTA_THETA,
    "k": K,
    "T1": T1,
    "T2": T2,
    "lowpass": f"butterworth order {LOWPASS_ORDER}, cutoff {LOWPASS_CUTOFF}",
    "noise_rescale": NOISE_RESCALE,
    "gradient": "scharr / 16 and its transpose, zero padding 1",
    "compute_dtype": "float32 FFT stage, float64 elsewhere",
}
_FEATURESIM_SETTINGS: dict[str, Any] = {
    **_COMMON_SETTINGS,
    "downsampling": "F = max(1, round(min(H, W) / 256)) with MATLAB round (half away from zero); "
    "conv2(x, ones(F)/F^2, 'same') with zero padding, then every F-th pixel from the first",
    "angle": "atan2(-row frequency, column frequency) (FeatureSIM.m meshgrid)",
    "median": "MATLAB median (mean of the two middle values)",
    "energy_eps": 1e-4,
    "pooling_variant": "featuresim",
    "implementation": "srbench torch, equals FeatureSIM.m (Zhang et al. 2011) at every size",
}

METRICS.add(
    "fsim",
    MetricSpec(
        name="fsim",
        label="FSIM (Y)",
        higher_is_better=True,
        fn=fsim,
        settings={"variant": "gray FSIM (no chromatic term) on the given Y channel", **_FEATURESIM_SETTINGS},
        min_size=MIN_SIZE,
        decimals=4,
    ),
)

METRICS.add(
    "fsim-piq",
    MetricSpec(
        name="fsim-piq",
        label="FSIM-piq (Y)",
        higher_is_better=True,
        fn=fsim_piq,
        settings={
            "variant": "gray FSIM (no chromatic term) on the given Y channel",
            **_COMMON_SETTINGS,
            "downsampling": "avg_pool2d F x F, F = max(1, round(min(H, W) / 256)), Python round",
            "angle": "atan2(-column frequency, row frequency) (piq meshgrid)",
            "median": "lower middle (torch.median, as piq)",
            "energy_eps": "float64 machine epsilon",
            "pooling_variant": "piq",
            "implementation": "srbench torch, equals piq 0.8.0 fsim(chromatic=False)",
        },
        min_size=MIN_SIZE,
        decimals=4,
    ),
)

METRICS.add(
    "fsimc",
    MetricSpec(
        name="fsimc",
        label="FSIMc (RGB)",
        higher_is_better=True,
        fn=fsimc,
        settings={
            "variant": "FSIMc: YIQ of RGB (FeatureSIM.m coefficients), PC and gradient on Y, chroma on I and Q",
            **_FEATURESIM_SETTINGS,
            "T3": T3,
            "T4": T4,
            "lambda": LAMBDA,
            "chroma_factor": "real((S_I * S_Q) ^ lambda)",
            "grayscale": "I = Q = 1 (FeatureSIM.m): FSIM of the gray image",
            "implementation": "srbench torch, equals FeatureSIM.m FSIMc (Zhang et al. 2011) at every size",
        },
        min_size=MIN_SIZE,
        decimals=4,
        space="rgb",
    ),
)
