"""Compiled CPU kernels (numba) for the hot loops of an evaluation: SSIM, MATLAB ``imresize`` passes, luminance.

Each kernel computes the same formula as the torch function it speeds up (the torch code stays the reference
and the GPU path; tests compare the two on random and real images). They are used on the CPU when numba is
importable and ``SRBENCH_KERNELS`` is not ``torch``; set ``SRBENCH_KERNELS=torch`` to compare or to avoid the
one-off compilation (about 2-5 s on first use, then cached on disk by numba).
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from torch import Tensor

ENV = "SRBENCH_KERNELS"


@functools.cache
def _numba_importable() -> bool:
    try:
        import numba  # noqa: F401
    except Exception:  # pragma: no cover - numba is a dependency; broken installs fall back to torch
        return False
    return True


def enabled() -> bool:
    """Whether the numba kernels are used on the CPU (numba importable and ``$SRBENCH_KERNELS`` != ``torch``)."""
    return os.environ.get(ENV, "numba").strip().lower() != "torch" and _numba_importable()


def usable(*tensors: Tensor) -> bool:
    """Whether the compiled kernels may replace torch for these tensors: all on the CPU, none needing gradients
    (autograd goes through the torch code), and the kernels :func:`enabled`."""
    return all(t.device.type == "cpu" and not t.requires_grad for t in tensors) and enabled()


SSIM_TAPS = 11
"""Window length the compiled SSIM kernel is written for (Wang's ``ssim_index``: an 11 x 11 Gaussian)."""
