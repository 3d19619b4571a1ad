"""A method followed by a post-process of its output, as one method with its own name and identity.

Johnson, Alahi & Fei-Fei (ECCV 2016, section 4.2, Model Details) post-process the output of their SR networks by
histogram matching to the LR input; bicubic and SRCNN in the same tables are not post-processed. Modelling the
post-process as part of the *method* (not of the evaluation protocol) lets one table hold ``l_feat`` with the
paper's matching beside bicubic and SRCNN without it, under one protocol, exactly as the paper's Fig. 8 and 9 do.

``-m NAME+histmatch`` (e.g. ``johnson-x4-feature+histmatch``, ``model.safetensors+histmatch``) is ``NAME``'s
output clamped to [0, 1] and histogram-matched per channel to the LR input the method received
(:func:`srbench.postprocess.histmatch.histmatch_batch`, i.e. ``skimage.exposure.match_histograms`` on floats).
The post-process is part of the name and of the provenance, so its results never share a row with the bare
method's. The protocol option ``--histmatch rgb`` still applies matching to every method of a run; it equals this
post-process for RGB methods (tests/methods/test_postprocessed.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from srbench.methods.base import Method
from srbench.postprocess.histmatch import histmatch_batch


def _histmatch(sr: Tensor, lr: Tensor) -> Tensor:
    """Per-channel histogram matching of ``sr`` (clamped to [0, 1]) to ``lr``, computed on [0, 255] values."""
    x = sr.to(torch.float64).clamp(0.0, 1.0) * 255.0
    ref = lr.to(torch.float64) * 255.0
    if ref.shape[1] != x.shape[1]:
        ref = ref.expand(-1, x.shape[1], -1, -1)
    return histmatch_batch(x, ref) / 255.0


#: post-process name -> (function of (sr, lr) on [0, 1], versioned identity recorded in the provenance)
POSTPROCESSES: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    "histmatch": (_histmatch, "histmatch-to-lr@1 (per channel, skimage match_histograms on float [0, 255])"),
}


def split_postprocess(spec: str) -> tuple[str, str | None]:
    """``'johnson-x4-feature+histmatch'`` -> ``('johnson-x4-feature', 'histmatch')``; no suffix -> ``(spec, None)``."""
    base, sep, post = spec.rpartition("+")
    if sep and base and post in POSTPROCESSES:
        return base, post
    return spec, None


class PostProcessed(Method):
    """``inner`` followed by the post-process ``post`` (see the module docstring)."""

    def __init__(self, inner: Method, post: str) -> None:
        self.inner = inner
        self.post = post
        self._fn, self._identity = POSTPROCESSES[post]
        self.name = f"{inner.name}+{post}"
        self.space = inner.space
        self.batchable = inner.batchable
        self.description = f"{inner.name} with its output {post}ed to the LR input (Johnson et al. 2016, 4.2)"

    def rename(self, name: str) -> None:
        suffix = f"+{self.post}"
        self.inner.rename(name[: -len(suffix)] if name.endswith(suffix) else name)
        self.name = f"{self.inner.name}{suffix}"

    def check_scale(self, scale: int) -> None:
        self.inner.check_scale(scale)

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return self._fn(self.inner.upscale(lr, scale, ids), lr)

    def provenance(self) -> dict[str, Any]:
        return {"name": self.name, "method": self.inner.provenance(), "postprocess": self._identity}
