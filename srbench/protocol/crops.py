"""Mod-crop and border shave, as the SR literature does (conventions section 2.4).

* ``modcrop``: crop the HR image to a multiple of the scale, keeping the top-left corner (SRCNN ``modcrop``,
  RCAN ``modcrop``, BasicSR ``mod_crop``).
* ``shave``: drop ``border`` pixels on every side before the metrics (SRCNN ``shave(.., [s s])``; RCAN
  ``Cal_Y_PSNRSSIM(.., scale, scale)``). The benchmark convention is ``border = scale``.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from torch import Tensor

A = TypeVar("A", np.ndarray, Tensor)


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop an ``(H, W[, C])`` array to ``(H - H mod s, W - W mod s)``, keeping the top-left corner."""
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def shave(image: A, border: int) -> A:
    """Drop ``border`` pixels from every side of the last two dimensions."""
    if border == 0:
        return image
    return image[..., border:-border, border:-border]
