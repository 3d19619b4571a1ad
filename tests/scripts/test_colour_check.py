"""``scripts/colour_check.py``: the colour error that the x8 model cards report (issue 14)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.color import deltaE_ciede2000, lab2rgb, rgb2lab

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from colour_check import mean_delta_e


def _image(seed: int, shape: tuple[int, int] = (9, 11)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def test_identical_images_have_no_colour_error() -> None:
    img = _image(0)
    assert mean_delta_e(img, img) == 0.0
    assert mean_delta_e(img, img, lightness=False) == 0.0


def test_colour_error_ignores_a_pure_lightness_change() -> None:
    lab = rgb2lab(_image(1) / 255.0)
    darker = lab.copy()
    darker[..., 0] *= 0.7
    a = (np.clip(lab2rgb(lab), 0, 1) * 255).round().astype(np.uint8)
    b = (np.clip(lab2rgb(darker), 0, 1) * 255).round().astype(np.uint8)
    # rounding to 8 bits leaves a little chroma; the lightness term dominates the full formula
    assert mean_delta_e(a, b, lightness=False) < 0.2 * mean_delta_e(a, b)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_colour_error_equals_ciede2000_with_the_lightness_equalised(s1: int, s2: int) -> None:
    """Dropping the lightness term (kL -> infinity) equals CIEDE2000 of the two colours given one lightness:
    the formula's chroma, hue and rotation terms do not depend on L (Sharma et al. 2005, eqs. 2-22)."""
    a, b = _image(s1), _image(s2)
    la, lb = rgb2lab(a / 255.0), rgb2lab(b / 255.0)
    lb[..., 0] = la[..., 0]
    expected = float(deltaE_ciede2000(la, lb).mean())
    assert abs(mean_delta_e(a, b, lightness=False) - expected) < 1e-6
