"""A straightforward per-image reference of the protocol in numpy, written independently of the torch code.

It follows the textbook description of MATLAB ``imresize`` (weights and indices per output pixel, gathered with
fancy indexing and summed with ``np.sum``), BT.601 luminance, scikit-image SSIM with the flags that equal Wang's
``ssim_index``, and piq's FSIM and VIFp called one image at a time. It serves two purposes:

* a second implementation the tests compare srbench against (besides MATLAB-written files and published values);
* the baseline loop of ``benchmarks/bench_eval.py``, which measures srbench's speed against it.
"""

from __future__ import annotations

import math

import numpy as np


def _cubic(x: np.ndarray) -> np.ndarray:
    ax = np.abs(x)
    return (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1) + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * (
        (ax > 1) & (ax <= 2)
    )


def _indices_weights(n_in: int, n_out: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    width = 4.0 / scale if scale < 1 else 4.0
    out = np.arange(1, n_out + 1)
    center = out / scale + 0.5 * (1 - 1 / scale)
    first = np.floor(center - width / 2)
    taps = math.ceil(width) + 2
    idx = first[:, None] + np.arange(taps)[None, :]
    dist = center[:, None] - idx
    w = scale * _cubic(scale * dist) if scale < 1 else _cubic(dist)
    w = w / w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(n_in), np.arange(n_in)[::-1]])
    idx = mirror[np.mod(idx.astype(int) - 1, 2 * n_in)]
    return idx, w


def imresize_np(image: np.ndarray, scale: float, path: str = "double") -> np.ndarray:
    """MATLAB bicubic ``imresize`` of an ``(H, W[, C])`` float array; ``path='uint8'`` rounds after each pass."""
    x = np.asarray(image, dtype=np.float64)
    for axis in (0, 1):  # equal scales: rows first
        n_in = x.shape[axis]
        n_out = math.ceil(n_in * scale - 1e-9)
        idx, w = _indices_weights(n_in, n_out, scale)
        moved = np.moveaxis(x, axis, 0)
        gathered = moved[idx]  # (n_out, taps, ...)
        wb = w.reshape(w.shape + (1,) * (moved.ndim - 1))
        x = np.moveaxis((gathered * wb).sum(axis=1), 0, axis)
        if path == "uint8":
            x = np.floor(np.clip(x, 0, 255) + 0.5)
    return x


def rgb2y_np(rgb: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr`` luminance of a uint8 RGB image, rounded (uint8 semantics), as float64."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    return np.floor(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255 + 0.5)


def psnr_np(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def ssim_skimage(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-image SSIM with the flags that equal Wang's ``ssim_index`` (conventions section 3.3)."""
    from skimage.metrics import structural_similarity

    return float(
        structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    )


def featuresim_pool_np(img: np.ndarray) -> np.ndarray:
    """``FeatureSIM.m``'s pooling: F = max(1, MATLAB round(min(H, W) / 256)), ``conv2(img, ones(F)/F^2, 'same')``,
    then ``img(1:F:end, 1:F:end)`` (scipy's full convolution, its centre part from floor(F / 2))."""
    from scipy.signal import convolve2d

    f = max(1, int(np.floor(min(img.shape) / 256 + 0.5)))
    if f == 1:
        return img
    full = convolve2d(img, np.full((f, f), 1.0 / f**2), mode="full")
    same = full[f // 2 : f // 2 + img.shape[0], f // 2 : f // 2 + img.shape[1]]
    return same[::f, ::f]


def fsim_piq(sr: np.ndarray, hr: np.ndarray) -> float:
    """FSIM as ``FeatureSIM.m`` pools it, then piq's gray FSIM on the pooled images (piq pools no further there).

    piq's own pooling differs from ``FeatureSIM.m``'s except for F = 1 and F = 2 on even sides; the rest of piq's
    FSIM agrees with ``FeatureSIM.m`` to about 1e-6.
    """
    import piq
    import torch

    sr, hr = featuresim_pool_np(sr), featuresim_pool_np(hr)
    assert round(min(sr.shape) / 256) <= 1, "piq would pool the pooled image again"
    x = torch.from_numpy(sr / 255.0)[None, None].float()
    y = torch.from_numpy(hr / 255.0)[None, None].float()
    return float(piq.fsim(x, y, data_range=1.0, chromatic=False))


def vif_piq(sr: np.ndarray, hr: np.ndarray) -> float:
    import piq
    import torch

    x = torch.from_numpy(sr / 255.0)[None, None].float()
    y = torch.from_numpy(hr / 255.0)[None, None].float()
    return float(piq.vif_p(x, y, data_range=1.0))


def bicubic_scores_np(
    hr_uint8: np.ndarray, scale: int, metrics: tuple[str, ...] = ("psnr", "ssim")
) -> dict[str, float]:
    """The literature bicubic baseline for one HR image, computed the straightforward way."""
    h, w = hr_uint8.shape[:2]
    hr = hr_uint8[: h - h % scale, : w - w % scale]
    y = rgb2y_np(hr) if hr.ndim == 3 else hr.astype(np.float64)
    lr = imresize_np(y / 255.0, 1 / scale)
    sr = np.floor(np.clip(imresize_np(lr, scale) * 255.0, 0, 255) + 0.5)
    s = scale
    sr, gt = sr[s:-s, s:-s], y[s:-s, s:-s]
    fns = {"psnr": psnr_np, "ssim": ssim_skimage, "fsim": fsim_piq, "vif": vif_piq}
    return {m: fns[m](sr, gt) for m in metrics}
