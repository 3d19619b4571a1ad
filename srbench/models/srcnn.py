"""SRCNN: the Super-Resolution Convolutional Neural Network of Dong, Loy, He & Tang.

C. Dong, C. C. Loy, K. He, X. Tang, "Learning a Deep Convolutional Network for Image Super-Resolution",
ECCV 2014; and "Image Super-Resolution Using Deep Convolutional Networks", IEEE TPAMI 38(2), 2016 (online 2015).

Architecture (paper section 3.1), on ONE channel (the luminance Y on [0, 1]) that has already been upscaled to
the target size with bicubic interpolation::

    F1(Y) = max(0, W1 * Y + B1)          n1 filters of f1 x f1   (patch extraction and representation)
    F2(Y) = max(0, W2 * F1(Y) + B2)      n2 filters of f2 x f2   (non-linear mapping)
    F(Y)  = W3 * F2(Y) + B3              1 filter  of f3 x f3    (reconstruction)

``*`` is correlation (PyTorch ``Conv2d`` and MATLAB ``imfilter`` agree on this). Defaults are the TPAMI
9-5-5 network with n1 = 64, n2 = 32; the ECCV 2014 network is 9-1-5. The parameter count is
``n1 f1^2 + n1 + n1 n2 f2^2 + n2 + n2 f3^2 + 1`` (57,281 for 9-5-5, 8,129 for 9-1-5).

Padding: every convolution pads ``f // 2`` pixels by **replicating** the edge, so each layer keeps the image
size. This is what the authors' test code ``SRCNN.m`` does (``imfilter(x, k, 'same', 'replicate')``), and it
is what their published numbers were computed with. Training used 'valid' convolutions on patches, so zero
padding (PyTorch's default) would be an equally "unpadded-trained" choice, but it darkens a band of about 8
pixels along every border and changes the dataset means; replicate padding reproduces the authors' results
(conventions section 0 and MANIFEST section 6).

Weights: :func:`load_srcnn_mat` reads the authors' released ``.mat`` files (``weights_conv1..3``,
``biases_conv1..3``; kernels flattened column-major, as MATLAB's ``reshape(v, f, f)`` reads them) and
:func:`load_srcnn_npz` the PyTorch-layout ``*_torch_oihw.npz`` conversions. Both return a float64 model in eval
mode (the authors' test code runs in MATLAB double precision).
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from srbench.errors import DataError
from srbench.models.registry import ARCHITECTURES

MAT_KEYS = ("weights_conv1", "biases_conv1", "weights_conv2", "biases_conv2", "weights_conv3", "biases_conv3")
NPZ_KEYS = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias")


class SRCNN(nn.Module):
    """conv(f1)-ReLU-conv(f2)-ReLU-conv(f3) on one channel, each conv 'same' size with replicate padding."""

    def __init__(self, f1: int = 9, f2: int = 5, f3: int = 5, n1: int = 64, n2: int = 32) -> None:
        super().__init__()
        for name, f in (("f1", f1), ("f2", f2), ("f3", f3)):
            if f < 1 or f % 2 == 0:
                raise ValueError(f"SRCNN filter size {name}={f} must be odd and positive ('same' padding f // 2)")
        self.f1, self.f2, self.f3, self.n1, self.n2 = f1, f2, f3, n1, n2
        self.conv1 = nn.Conv2d(1, n1, f1, padding=f1 // 2, padding_mode="replicate")
        self.conv2 = nn.Conv2d(n1, n2, f2, padding=f2 // 2, padding_mode="replicate")
        self.conv3 = nn.Conv2d(n2, 1, f3, padding=f3 // 2, padding_mode="replicate")
        self.relu = nn.ReLU(inplace=True)

    @property
    def arch_kwargs(self) -> dict[str, int]:
        """The keyword arguments that rebuild this network (for weights-file metadata)."""
        return {"f1": self.f1, "f2": self.f2, "f3": self.f3, "n1": self.n1, "n2": self.n2}

    def forward(self, x: Tensor) -> Tensor:
        """``(N, 1, H, W)`` bicubic-upscaled Y on [0, 1] -> ``(N, 1, H, W)`` restored Y (not clipped)."""
        return self.conv3(self.relu(self.conv2(self.relu(self.conv1(x)))))


@ARCHITECTURES.register("srcnn")
def srcnn(f1: int = 9, f2: int = 5, f3: int = 5, n1: int = 64, n2: int = 32) -> SRCNN:
    return SRCNN(f1=f1, f2=f2, f3=f3, n1=n1, n2=n2)


def _side(n: int, what: str, p: Path) -> int:
    f = math.isqrt(n)
    if f * f != n or f % 2 == 0:
        raise DataError(f"{p}: {what} has {n} taps per kernel, not an odd square; not an SRCNN weights file")
    return f


def mat_to_oihw(mat: dict[str, Any], path: str | os.PathLike[str] = "<mat>") -> dict[str, np.ndarray]:
    """Convert the authors' ``.mat`` arrays to ``Conv2d`` tensors (float64 numpy), MANIFEST section 6.

    MATLAB's ``reshape(v, f, f)`` is column-major (kernel(r, c) = v[r + f c]); reshaping row-major and then
    swapping the last two axes gives the same kernel. ``imfilter`` correlates, like ``Conv2d``, so no flip.
    """
    p = Path(path)
    missing = [k for k in MAT_KEYS if k not in mat]
    if missing:
        raise DataError(
            f"{p}: lacks {', '.join(missing)}; expected the SRCNN authors' .mat with weights_conv1..3 and "
            "biases_conv1..3"
        )
    w1 = np.asarray(mat["weights_conv1"], dtype=np.float64)
    w2 = np.asarray(mat["weights_conv2"], dtype=np.float64)
    w3 = np.asarray(mat["weights_conv3"], dtype=np.float64)
    if w2.ndim == 2:  # a 1x1 mapping layer saved without its middle singleton axis
        w2 = w2[:, None, :]
    if w1.ndim != 2 or w2.ndim != 3 or w3.ndim != 2:
        raise DataError(
            f"{p}: weights_conv1..3 have shapes {w1.shape}, {w2.shape}, {w3.shape}; expected the SRCNN authors' "
            "(f1^2, n1), (n1, f2^2, n2), (n2, f3^2)"
        )
    f1 = _side(w1.shape[0], "weights_conv1", p)
    f2 = _side(w2.shape[1], "weights_conv2", p)
    f3 = _side(w3.shape[1], "weights_conv3", p)
    n1, n2 = w1.shape[1], w2.shape[2]
    b1 = np.asarray(mat["biases_conv1"], dtype=np.float64).ravel()
    b2 = np.asarray(mat["biases_conv2"], dtype=np.float64).ravel()
    b3 = np.asarray(mat["biases_conv3"], dtype=np.float64).ravel()
    if w2.shape[0] != n1 or w3.shape[0] != n2 or b1.size != n1 or b2.size != n2 or b3.size != 1:
        raise DataError(
            f"{p}: layer sizes do not chain (weights {w1.shape}, {w2.shape}, {w3.shape}; biases {b1.size}, "
            f"{b2.size}, {b3.size}); expected the SRCNN authors' .mat with weights_conv1..3"
        )
    return {
        "conv1.weight": w1.T.reshape(n1, 1, f1, f1).transpose(0, 1, 3, 2),
        "conv1.bias": b1,
        "conv2.weight": w2.transpose(2, 0, 1).reshape(n2, n1, f2, f2).transpose(0, 1, 3, 2),
        "conv2.bias": b2,
        "conv3.weight": w3.reshape(1, n2, f3, f3).transpose(0, 1, 3, 2),
        "conv3.bias": b3,
    }


def from_oihw(arrays: dict[str, np.ndarray], path: str | os.PathLike[str] = "<arrays>") -> SRCNN:
    """A float64 :class:`SRCNN` in eval mode holding ``Conv2d``-layout arrays (keys ``conv1.weight`` ...)."""
    p = Path(path)
    missing = [k for k in NPZ_KEYS if k not in arrays]
    if missing:
        raise DataError(f"{p}: lacks {', '.join(missing)}; expected SRCNN tensors conv1.weight ... conv3.bias")
    w1, w2, w3 = (np.asarray(arrays[f"conv{i}.weight"]) for i in (1, 2, 3))
    if w1.ndim != 4 or w2.ndim != 4 or w3.ndim != 4:
        raise DataError(
            f"{p}: SRCNN conv weights must be 4-D (out, in, kH, kW); got {w1.shape}, {w2.shape}, {w3.shape}"
        )
    model = SRCNN(f1=w1.shape[-1], f2=w2.shape[-1], f3=w3.shape[-1], n1=w1.shape[0], n2=w2.shape[0]).double()
    state = {k: torch.from_numpy(np.ascontiguousarray(arrays[k], dtype=np.float64)) for k in NPZ_KEYS}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise DataError(f"{p}: tensors do not fit SRCNN {model.arch_kwargs} ({first})") from None
    return model.eval()


def load_srcnn_mat(path: str | os.PathLike[str]) -> SRCNN:
    """Load one of the SRCNN authors' released ``.mat`` models (f1, f2, f3, n1, n2 read from the shapes)."""
    import scipy.io

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such SRCNN weights file; check the path or the weights root")
    try:
        mat = scipy.io.loadmat(str(p))
    except Exception as exc:  # scipy raises ValueError, MatReadError, struct/zlib errors... on damaged files
        raise DataError(
            f"{p}: not a readable MAT file ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "expected the SRCNN authors' .mat with weights_conv1..3; re-download it"
        ) from None
    return from_oihw(mat_to_oihw(mat, p), p)


def load_srcnn_npz(path: str | os.PathLike[str]) -> SRCNN:
    """Load a PyTorch-layout ``*_torch_oihw.npz`` conversion (keys ``conv1.weight`` ... ``conv3.bias``)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such SRCNN weights file; check the path or the weights root")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(
            f"{p}: not a readable .npz file ({type(exc).__name__}); expected SRCNN tensors conv1.weight ... conv3.bias"
        ) from None
    return from_oihw(arrays, p)
