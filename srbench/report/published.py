"""Published numbers kept as data: the paper's own tables, with their source and known inconsistencies.

``published/johnson2016.csv`` transcribes Johnson, Alahi & Fei-Fei, *Perceptual Losses for Real-Time Style
Transfer and Super-Resolution* (ECCV 2016), Fig. 8 (x4) and Fig. 9 (x8): means per dataset and the per-image
examples (``baby``, ``comic``), Y channel PSNR (dB) / SSIM, one row per (table, dataset, image, role).
``published/notes.csv`` holds the footnotes that explain where the published numbers are known to be
inconsistent (from ``../shared/reference/evaluation-conventions.md`` section 5). Roles are the paper's columns:
``Bicubic``, ``l_pixel``, ``SRCNN``, ``l_feat``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

ROLES = ("Bicubic", "l_pixel", "SRCNN", "l_feat")


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files("srbench.report").joinpath("published", name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype={"image": str, "notes": str}, keep_default_na=False, na_values={"psnr": [""]})


def published(paper: str = "johnson2016") -> pd.DataFrame:
    """The published rows of ``paper``: columns ``paper, table, scale, dataset, image, role, psnr, ssim, notes,
    source`` (``image`` is ``""`` for dataset means; ``notes`` lists footnote ids separated by ``;``)."""
    df = _read(f"{paper}.csv").copy()
    df["scale"] = df["scale"].astype(int)
    return df


def footnotes() -> dict[str, str]:
    """Footnote id -> text."""
    df = _read("notes.csv")
    return dict(zip(df["id"], df["text"], strict=True))
