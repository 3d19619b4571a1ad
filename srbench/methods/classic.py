"""Classic baselines: bicubic and nearest-neighbour upscaling, MATLAB ``imresize`` semantics, on Y.

The bicubic baseline of the SR literature upscales the (unquantised) LR luminance with MATLAB
``imresize(lr, s, 'bicubic')`` (conventions section 0); nearest uses MATLAB's ``'nearest'`` kernel, which
for an integer scale repeats every LR pixel s x s times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import Tensor

from srbench.methods.base import METHODS, Method
from srbench.protocol.imresize import imresize


class Bicubic(Method):
    name = "bicubic"
    space = "y"
    description = "MATLAB imresize bicubic upscaling of the LR luminance (double path)"

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return imresize(lr, scale, kernel="cubic", path="double")

    def provenance(self) -> dict[str, Any]:
        return {"name": self.name, "impl": "matlab-imresize-cubic-double", "version": 1}


class Nearest(Method):
    name = "nearest"
    space = "y"
    description = "MATLAB imresize nearest-neighbour upscaling of the LR luminance"

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return imresize(lr, scale, kernel="nearest", path="double")

    def provenance(self) -> dict[str, Any]:
        return {"name": self.name, "impl": "matlab-imresize-nearest", "version": 1}


METHODS.add("bicubic", Bicubic)
METHODS.add("nearest", Nearest)
