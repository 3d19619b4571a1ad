"""Colour fidelity of SR methods: the CIEDE2000 colour difference of each method's displayed RGB from the HR.

PSNR and SSIM are computed on Y, so a model can score well and still show wrong colours (issue 14: the x8 l_feat
network at 4,000 iterations turned a brown hat cyan at 22 dB). This script measures that. For every colour image
of a dataset it takes each method's RGB output exactly as ``srbench report figure --display rgb`` shows it (the
evaluation's own code path, :func:`srbench.report.figures.comparison_panels`; a luminance method such as bicubic
or SRCNN shows its Y with the LR chroma upscaled by MATLAB bicubic), shaves the protocol's border, converts both
images sRGB (D65) -> CIELAB and averages over pixels (scikit-image: ``skimage.color.rgb2lab``,
``skimage.color.deltaE_ciede2000``; Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula", 2005):

* ``colour``: CIEDE2000 without its lightness term (``kL`` -> infinity), i.e. the chroma and hue differences
  only: wrong colours, not the texture's brightness (which PSNR on Y already measures);
* ``delta_e``: the full CIEDE2000.

Gray images are skipped (no colour). About 1 is a just-noticeable difference; side by side, differences of a few
units are plain to see. Bicubic's colours are the LR's, so bicubic is the natural yardstick.

    python scripts/colour_check.py set5 8 bicubic johnson-x8-pixel+histmatch johnson-x8-feature+histmatch
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
from skimage.color import deltaE_ciede2000, rgb2lab

from srbench.config import data_root
from srbench.data.datasets import resolve_dataset
from srbench.errors import SrbenchError
from srbench.methods.base import Method
from srbench.report.figures import comparison_panels


def mean_delta_e(a: np.ndarray, b: np.ndarray, lightness: bool = True) -> float:
    """Mean CIEDE2000 difference of two uint8 RGB images ``(H, W, 3)``; ``lightness=False`` drops the lightness
    term (``kL`` -> infinity), leaving the chroma and hue terms."""
    return _mean_delta_e_lab(rgb2lab(a / 255.0), rgb2lab(b / 255.0), lightness)


def _mean_delta_e_lab(la: np.ndarray, lb: np.ndarray, lightness: bool) -> float:
    k_l = 1.0 if lightness else 1e12
    return float(deltaE_ciede2000(la, lb, kL=k_l).mean())


def colour_errors(dataset: str, scale: int, methods: Sequence[Method | str]) -> pd.DataFrame:
    """Long table, one row per (colour image, method): ``psnr`` (whole-image Y PSNR, as ``srbench eval``),
    ``colour`` (CIEDE2000 chroma and hue terms) and ``delta_e`` (full CIEDE2000), after the shave."""
    ds = resolve_dataset(dataset, data_root(None))
    rows = []
    for img in ds.images:
        pixels = img.load()
        if pixels.ndim == 2 or pixels.shape[2] == 1 or np.array_equal(pixels[..., 0], pixels[..., 1]):
            continue
        h, w = pixels.shape[0] // scale * scale, pixels.shape[1] // scale * scale
        comp = comparison_panels(ds, img.id, scale, methods, box=(0, 0, h, w), display="rgb")
        s = comp.shave
        hr = rgb2lab(comp.panels[0].pixels[s : h - s, s : w - s] / 255.0)  # converted once per image
        for panel in comp.panels[1:]:
            sr = rgb2lab(panel.pixels[s : h - s, s : w - s] / 255.0)
            rows.append(
                {
                    "dataset": dataset,
                    "image": img.id,
                    "method": panel.label,
                    "psnr": panel.psnr,
                    "colour": _mean_delta_e_lab(sr, hr, lightness=False),
                    "delta_e": _mean_delta_e_lab(sr, hr, lightness=True),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset")
    ap.add_argument("scale", type=int)
    ap.add_argument("methods", nargs="+")
    a = ap.parse_args()
    try:
        table = colour_errors(a.dataset, a.scale, a.methods)
    except SrbenchError as exc:  # a user mistake: one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    means = table.groupby("method", sort=False)[["psnr", "colour", "delta_e"]].mean()
    n = table["image"].nunique()
    print(f"{a.dataset} x{a.scale}: means over {n} colour images, displayed RGB, after the shave")
    print("psnr: Y PSNR (dB); colour: CIEDE2000 chroma + hue; delta_e: full CIEDE2000 (lower is better)")
    print(means.round(2).to_string())


if __name__ == "__main__":
    main()
