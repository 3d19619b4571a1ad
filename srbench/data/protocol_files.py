"""Files of images srbench writes for others to read back exactly: LR inputs (``srbench degrade``) and scored SR
outputs (``srbench eval --save-sr``), each folder with a ``manifest.json``.

Two formats:

* ``png``: 8-bit lossless PNG, values ``round(v * 255)`` (MATLAB's double-to-uint8: clip, then round half away
  from zero). Exact when every value is already a multiple of 1/255 (LR made on MATLAB's uint8 path, SR after the
  protocol's rounding); otherwise a quantisation, and the manifest says so per file and for the folder.
* ``npy``: the float64 values on [0, 1] exactly as the method receives them (``numpy.save``, no pickle), ``(H, W)``
  or ``(H, W, 3)``. Read back bit for bit.

``space`` says what the channels hold: ``rgb`` (the image: 3 channels, or 1 for a grayscale image) or ``y``
(the protocol's luminance, 1 channel: the LR a luminance method such as bicubic or SRCNN receives, or the SR
luminance that is scored).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from srbench.atomic import atomic_path
from srbench.data.imageio import read_image, write_image
from srbench.errors import DataError

if TYPE_CHECKING:  # torch is imported where tensors are written: reading a manifest (srbench.methods.srdir) needs none
    from torch import Tensor

FileFormat = Literal["png", "npy"]
FORMATS: tuple[str, ...] = ("png", "npy")
SPACES: tuple[str, ...] = ("rgb", "y")
MANIFEST = "manifest.json"


def quantize(values: Tensor) -> np.ndarray:
    """``(C, H, W)`` values on [0, 1] -> ``(H, W[, 3])`` uint8: MATLAB ``uint8(255 * v)`` (clip, round half away)."""
    import torch

    q = torch.floor((values.to(torch.float64) * 255.0).clamp(0.0, 255.0) + 0.5).to(torch.uint8)
    return _hwc(q.cpu().numpy())


def is_exact_8bit(values: Tensor) -> bool:
    """Whether :func:`quantize` loses nothing: reading the PNG back (``uint8 / 255``) gives ``values`` bit for bit."""
    import torch

    q = torch.from_numpy(np.ascontiguousarray(_chw(quantize(values)))).to(torch.float64) / 255.0
    return bool(torch.equal(q, values.to("cpu", torch.float64)))


def _hwc(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0))


def _chw(a: np.ndarray) -> np.ndarray:
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def write_values(path: Path, values: Tensor, fmt: FileFormat) -> bool:
    """Write ``(C, H, W)`` values on [0, 1] to ``path`` atomically; returns whether the file holds them exactly."""
    import torch

    if fmt == "npy":
        array = _hwc(values.to("cpu", torch.float64).numpy())
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
        return True
    write_image(path, quantize(values))
    return is_exact_8bit(values)


def read_values(path: Path) -> tuple[np.ndarray, bool]:
    """``(array, on_unit_range)``: a ``.npy`` file as float64 on [0, 1] (``True``), else an 8-bit image (``False``)."""
    if path.suffix.lower() != ".npy":
        return read_image(path), False
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot read the .npy file ({exc}); write it again with `srbench degrade`") from None
    if array.dtype != np.float64 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise DataError(
            f"{path}: .npy LR must be float64 (H, W) or (H, W, 3) on [0, 1], got {array.dtype} {array.shape}; "
            "write it with `srbench degrade --format npy`"
        )
    return array, True


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """``folder/manifest.json``, atomically (written last: a folder with a manifest is complete)."""
    with atomic_path(folder / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


@dataclass(frozen=True)
class FolderManifest:
    """What a folder's ``manifest.json`` says about its files (``files``: image id -> file name)."""

    space: str
    files: dict[str, str]
    raw: dict[str, Any]


KINDS = ("srbench-lr", "srbench-sr")


def read_manifest(folder: Path) -> FolderManifest | None:
    """The folder's srbench manifest, or None if it has none (a folder of images from elsewhere, whose
    ``manifest.json``, if any, is not srbench's)."""
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        return None
    try:
        files = {str(k): str(v["file"]) for k, v in raw["files"].items()}
        space = str(raw.get("space", "rgb"))
    except (KeyError, TypeError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        fix = "delete it or write the folder again"
        raise DataError(f"{path}: not a readable srbench manifest ({reason}); {fix}") from None
    if space not in SPACES:
        raise DataError(f"{path}: unknown space {space!r}; write the folder again with srbench")
    return FolderManifest(space, files, raw)


def complete(folder: Path, expect: dict[str, Any], ids: list[str]) -> bool:
    """Whether ``folder`` already holds a manifest with the ``expect`` entries and every file of ``ids``, intact."""
    try:
        manifest = read_manifest(folder)
    except DataError:
        return False
    if manifest is None or any(manifest.raw.get(k) != v for k, v in expect.items()):
        return False
    for image_id in ids:
        entry = manifest.raw["files"].get(image_id)
        path = folder / entry["file"] if entry else None
        if path is None or not path.is_file() or sha256_file(path) != entry.get("sha256"):
            return False
    return True
