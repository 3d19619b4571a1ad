"""SRCNN (Dong et al., ECCV 2014 / TPAMI 2015) as an evaluation method, with the authors' released weights.

The authors' test protocol (``demo_SR.m`` / ``SRCNN.m``, MANIFEST section 6): the LR luminance is upscaled to
the target size with MATLAB ``imresize(·, s, 'bicubic')`` in double precision, then the three-layer network
(:class:`srbench.models.srcnn.SRCNN`, replicate padding) runs on it; the output is the SR luminance.
:class:`SRCNNMethod` does exactly that on the LR Y the pipeline hands to ``space='y'`` methods.

Precision: the network runs in float64 by default, like MATLAB's double ``imfilter``; ``dtype=torch.float32``
is available for speed and is recorded in the provenance (so the two never share cached results). Measured on
Set5 x4 (9-5-5 ImageNet, standard protocol, 2 CPU cores): float32 moves the raw outputs by at most 1.5e-6
(0.0004 grey levels), changes 31 of 567,456 uint8-rounded pixels, per-image PSNR by at most 3.4e-5 dB and
SSIM by about 2e-6 at most, and leaves the Set5 means at 30.4840 / 0.8628; but float64 convolutions take about 10x
the CPU time (the network stage of Set5: 20 s against 2 s). Fidelity wins for the reference baseline; the
float32 bound (< 1e-3 dB) is pinned in ``tests/models/test_srcnn.py``.

Named methods (weights under ``<weights root>/srcnn/``, the root from ``--weights-root`` / ``SRBENCH_WEIGHTS``):

* ``srcnn``: an alias of ``srcnn-955-imagenet-x4`` (the model whose dataset means the literature prints, 30.48 on
  Set5 x4); its results are stored and shown under ``srcnn-955-imagenet-x4``;
* ``srcnn-955-imagenet-x2``, ``-x3``, ``-x4``: the TPAMI 9-5-5 models trained on ImageNet;
* ``srcnn-915-91images-x2``, ``-x3``, ``-x4``: the ECCV 2014 9-1-5 models trained on the 91 images.

Every model is scale-specific; ``check_scale`` refuses other scales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from srbench.errors import ConfigError, DataError
from srbench.methods.base import METHODS, Method
from srbench.methods.naming import weights_name
from srbench.models.srcnn import SRCNN, load_srcnn_mat, load_srcnn_npz
from srbench.protocol.imresize import imresize
from srbench.tiling import upscale_tiled

#: pixels per network call (float64 activations: 64 x 8 bytes per pixel for conv1, ~0.5 GB at this budget)
TILE = 256  # HR pixels per tile side: about 0.85 GB of im2col buffer in float64

#: method name -> (file under <weights root>/srcnn/, scale, variant)
VARIANTS: dict[str, tuple[str, int, str]] = {
    "srcnn-955-imagenet-x2": ("srcnn_955_imagenet_x2.mat", 2, "9-5-5 ImageNet x2 (TPAMI 2015)"),
    "srcnn-955-imagenet-x3": ("srcnn_955_imagenet_x3.mat", 3, "9-5-5 ImageNet x3 (TPAMI 2015)"),
    "srcnn-955-imagenet-x4": ("srcnn_955_imagenet_x4.mat", 4, "9-5-5 ImageNet x4 (TPAMI 2015)"),
    "srcnn-915-91images-x2": ("srcnn_915_91images_x2.mat", 2, "9-1-5 91 images x2 (ECCV 2014)"),
    "srcnn-915-91images-x3": ("srcnn_915_91images_x3.mat", 3, "9-1-5 91 images x3 (ECCV 2014)"),
    "srcnn-915-91images-x4": ("srcnn_915_91images_x4.mat", 4, "9-1-5 91 images x4 (ECCV 2014)"),
}


class SRCNNMethod(Method):
    """MATLAB bicubic upscaling of the LR Y by ``scale``, then SRCNN; returns ``(N, 1, s h, s w)``."""

    space = "y"

    def __init__(
        self,
        model: SRCNN,
        scale: int,
        name: str = "srcnn",
        variant: str = "",
        weights_sha256: str = "",
        dtype: torch.dtype = torch.float64,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"SRCNNMethod dtype must be float32 or float64, got {dtype}")
        self.model = model.to(dtype).eval()
        self.scale = int(scale)
        self.name = name
        self.variant = variant
        self.weights_sha256 = weights_sha256
        self.dtype = dtype
        self._extra = dict(extra or {})

    # --- construction -----------------------------------------------------------------------------------

    @classmethod
    def from_mat(
        cls, path: str | Path, scale: int, name: str = "srcnn", variant: str = "", dtype: torch.dtype = torch.float64
    ) -> SRCNNMethod:
        """The authors' released ``.mat`` model; ``scale`` is the one it was trained for."""
        from srbench.models.weights import file_sha256

        p = Path(path)
        model = load_srcnn_mat(p)
        return cls(model, scale, name, variant or p.stem, file_sha256(p), dtype)

    @classmethod
    def from_npz(
        cls, path: str | Path, scale: int, name: str = "srcnn", variant: str = "", dtype: torch.dtype = torch.float64
    ) -> SRCNNMethod:
        """A PyTorch-layout ``*_torch_oihw.npz`` conversion."""
        from srbench.models.weights import file_sha256

        p = Path(path)
        model = load_srcnn_npz(p)
        return cls(model, scale, name, variant or p.stem, file_sha256(p), dtype)

    @classmethod
    def from_weights(cls, path: str | Path, name: str | None = None, dtype: torch.dtype = torch.float64) -> SRCNNMethod:
        """An srbench safetensors file with metadata ``architecture='srcnn'``, ``space='y'``.

        The tensors are loaded at the precision they were saved in (float64 for converted authors' weights),
        not through the float32 parameters a freshly built module has.
        """
        from safetensors.torch import load_file

        from srbench.models.weights import file_sha256, load_weights

        p = Path(path)
        model, meta = load_weights(p)  # validates metadata and tensor shapes, with one-line errors
        if meta.get("architecture") != "srcnn" or not isinstance(model, SRCNN):
            raise DataError(f"{p}: architecture is {meta.get('architecture')!r}, not srcnn; load it as a model method")
        if meta.get("space") != "y":
            raise DataError(f"{p}: an SRCNN weights file must have space 'y', not {meta.get('space')!r}; re-export it")
        state = load_file(str(p), device="cpu")
        model = model.to(torch.float64)
        model.load_state_dict({k: v.to(torch.float64) for k, v in state.items()}, strict=True)
        sha = file_sha256(p)
        name = name or weights_name(meta, p)
        # the identity is the weights' sha256 and metadata, never the file's name (renaming or moving a file, as the
        # shipped weights were moved into the package, must not change its results' key)
        return cls(model, int(meta["scale"]), name, "srbench-weights", sha, dtype, {"metadata": meta})

    # --- the Method interface ---------------------------------------------------------------------------

    def check_scale(self, scale: int) -> None:
        if scale != self.scale:
            raise ConfigError(
                f"method {self.name} is an x{self.scale} SRCNN model and cannot run at x{scale}; use --scale "
                f"{self.scale} or the srcnn model trained for x{scale}"
            )

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        self.check_scale(scale)
        if lr.ndim != 4 or lr.shape[1] != 1:
            raise ValueError(f"SRCNN works on the luminance (N, 1, h, w); got {tuple(lr.shape)}")
        up = imresize(lr.to(torch.float64), scale, kernel="cubic", path="double")
        self.model.to(device=up.device)
        # CPU convolutions unfold their input (im2col: f2^2 n1 values per pixel, 12.8 kB in float64 for 9-5-5), so
        # the network runs on one image at a time in overlapping tiles. The overlap covers the receptive field
        # (radius (f1 + f2 + f3 - 3) / 2 = 8 px for 9-5-5), so the tiled result equals the untiled one; at the
        # image border a tile's replicate padding is the image's own.
        radius = (sum(int(m.kernel_size[0]) for m in self.model.modules() if isinstance(m, torch.nn.Conv2d)) - 3) // 2
        overlap = 2 * radius + 2
        outs = []
        with torch.no_grad():
            for i in range(up.shape[0]):
                x = up[i : i + 1].to(self.dtype)
                outs.append(upscale_tiled(self.model, x, 1, TILE, overlap).to(torch.float64))
        return torch.cat(outs)

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "impl": "matlab-bicubic-double-then-srcnn-replicate",
            "variant": self.variant,
            "scale": self.scale,
            "weights_sha256": self.weights_sha256,
            "dtype": str(self.dtype).replace("torch.", ""),
            "version": 1,
            **self._extra,
        }


def weights_path(file: str) -> Path | None:
    """``<weights root>/srcnn/<file>`` for the configured weights root, or ``None`` when no root is set."""
    from srbench.config import weights_root

    root = weights_root()
    return None if root is None else root / "srcnn" / file


def _factory(name: str, file: str, scale: int, variant: str) -> Callable[[], Method]:
    def make() -> Method:
        path = weights_path(file)
        if path is None or not path.is_file():
            where = path if path is not None else f"<weights root>/srcnn/{file}; no weights root is set"
            raise ConfigError(
                f"method {name} needs the SRCNN weights: set SRBENCH_WEIGHTS or pass --weights-root "
                f"(looked for {where})"
            )
        method = SRCNNMethod.from_mat(path, scale, name=name, variant=variant)
        method.description = f"SRCNN {variant}, the authors' weights ({file})"
        return method

    return make


for _name, (_file, _scale, _variant) in VARIANTS.items():
    METHODS.add(_name, _factory(_name, _file, _scale, _variant))
#: the literature's "SRCNN" (whose means papers print) is the 9-5-5 ImageNet x4 model: one computation, one name
METHODS.alias("srcnn", "srcnn-955-imagenet-x4")
