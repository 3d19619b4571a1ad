"""Histogram matching (conventions section 7) against a hand implementation of the formula.

For each channel c every output value v becomes F_ref,c^-1(F_out,c(v)), with F the empirical CDF over the whole
image (F(v) = #{x <= v} / N) and F^-1 the linear interpolation between the reference's distinct values at their
CDF levels. The reference (the LR) may be smaller than the output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from skimage.exposure import match_histograms

from srbench.postprocess.histmatch import histmatch_batch, match_histograms_float


def _match_channel(out: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """F_ref^-1(F_out(v)) for every value v of ``out``: empirical CDFs by counting, inverse by np.interp."""
    out_sorted = np.sort(out.ravel())
    ref_sorted = np.sort(ref.ravel())
    cdf_out = np.searchsorted(out_sorted, out.ravel(), side="right") / out.size  # F_out(v)
    ref_levels = np.unique(ref_sorted)
    cdf_ref = np.searchsorted(ref_sorted, ref_levels, side="right") / ref.size  # F_ref at its distinct values
    return np.interp(cdf_out, cdf_ref, ref_levels).reshape(out.shape)


def _match(out: np.ndarray, ref: np.ndarray) -> np.ndarray:
    if out.ndim == 2:
        return _match_channel(out, ref)
    return np.stack([_match_channel(out[..., c], ref[..., c]) for c in range(out.shape[-1])], axis=-1)


def _sr_and_lr(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A float 'SR output' (many distinct values, ties included) and a smaller, narrower uint8-valued 'LR'."""
    rng = np.random.default_rng(seed)
    sr = np.clip(rng.normal(120, 50, (48, 40, 3)), 0, 255)
    sr[:4] = np.round(sr[:4])  # some repeated values
    lr = np.clip(np.round(rng.normal(130, 30, (12, 10, 3))), 0, 255)
    return sr, lr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_hand_implementation_per_channel(seed: int) -> None:
    sr, lr = _sr_and_lr(seed)
    out = match_histograms_float(sr, lr)
    assert out.dtype == np.float64 and out.shape == sr.shape
    assert_allclose(out, _match(sr, lr), rtol=0, atol=1e-12)
    # channels are matched independently
    assert_allclose(out[..., 1], _match_channel(sr[..., 1], lr[..., 1]), rtol=0, atol=1e-12)


def test_grayscale_input() -> None:
    sr, lr = _sr_and_lr(3)
    assert_allclose(match_histograms_float(sr[..., 0], lr[..., 0]), _match(sr[..., 0], lr[..., 0]), rtol=0, atol=1e-12)


def test_output_values_follow_the_reference_quantiles() -> None:
    rng = np.random.default_rng(4)
    sr = rng.uniform(0, 255, (40, 30))  # all values distinct
    lr = rng.uniform(20, 200, (10, 8))  # all values distinct
    out = match_histograms_float(sr, lr)
    # the k-th smallest output sits at CDF level k/N: its value is the reference quantile at that level
    levels = np.arange(1, sr.size + 1) / sr.size
    ref_levels = np.arange(1, lr.size + 1) / lr.size
    assert_allclose(np.sort(out.ravel()), np.interp(levels, ref_levels, np.sort(lr.ravel())), rtol=0, atol=1e-12)
    # the ranking of pixels is preserved
    order = np.argsort(sr.ravel(), kind="stable")
    assert np.all(np.diff(out.ravel()[order]) >= 0)
    # same size: the output's sorted values are exactly the reference's
    ref_same = rng.uniform(20, 200, sr.shape)
    assert_allclose(np.sort(match_histograms_float(sr, ref_same).ravel()), np.sort(ref_same.ravel()), atol=1e-12)
    assert out.min() >= lr.min() and out.max() <= lr.max()


def test_float_matching_does_not_truncate_but_skimage_on_uint8_does() -> None:
    # skimage allocates the result in the input dtype when channel_axis is given, so uint8 input is truncated
    # toward zero (a negative bias of about half a gray level; conventions section 7). srbench matches floats.
    sr, lr = _sr_and_lr(5)
    sr8, lr8 = np.round(sr).astype(np.uint8), lr.astype(np.uint8)
    ours = match_histograms_float(sr8, lr8)
    skimage_u8 = match_histograms(sr8, lr8, channel_axis=-1)
    assert skimage_u8.dtype == np.uint8
    assert_array_equal(skimage_u8, np.floor(ours))  # exactly the truncation of our float result
    assert_allclose(ours, _match(sr8.astype(np.float64), lr8.astype(np.float64)), rtol=0, atol=1e-12)
    bias = float(np.mean(skimage_u8.astype(np.float64) - ours))
    assert -0.7 < bias < -0.2, bias
    # with float input skimage and srbench agree
    assert_allclose(ours, match_histograms(sr8.astype(np.float64), lr8.astype(np.float64), channel_axis=-1), atol=1e-12)


def test_histmatch_batch_matches_each_image_to_its_own_lr() -> None:
    pairs = [_sr_and_lr(s) for s in (6, 7)]
    sr = torch.from_numpy(np.stack([p[0] for p in pairs])).permute(0, 3, 1, 2)
    lr = torch.from_numpy(np.stack([p[1] for p in pairs])).permute(0, 3, 1, 2)
    out = histmatch_batch(sr, lr)
    assert out.dtype == torch.float64 and tuple(out.shape) == tuple(sr.shape)
    for i, (s, r) in enumerate(pairs):
        assert_allclose(out[i].permute(1, 2, 0).numpy(), _match(s, r), rtol=0, atol=1e-12)
    # single-channel batches too
    out1 = histmatch_batch(sr[:, :1], lr[:, :1])
    assert_allclose(out1[0, 0].numpy(), _match_channel(pairs[0][0][..., 0], pairs[0][1][..., 0]), atol=1e-12)
