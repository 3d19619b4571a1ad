"""Upscale images with any srbench method and write them as PNGs that record how they were made.

Pipeline of :func:`upscale_image` for a ``uint8`` image ``(H, W)`` or ``(H, W, 3)``:

1. values on [0, 255] as float64 (on ``device``), divided by 255 for the method (methods work on [0, 1]);
2. ``space='y'`` methods (bicubic, nearest, SRCNN): the LR is converted to YCbCr with MATLAB ``rgb2ycbcr``
   (unrounded), the method upscales Y, the chroma Cb, Cr is upscaled with MATLAB bicubic ``imresize`` (double),
   and the three are converted back with MATLAB ``ycbcr2rgb`` (what the SRCNN authors do for colour results).
   A grayscale image is its own Y (SRCNN / VDSR convention) and stays grayscale.
   ``space='rgb'`` methods (trained networks) upscale RGB; a grayscale image is replicated to 3 channels and the
   output reduced back to one channel (BT.601 full-range luma, exactly the gray value where R = G = B).
   The method runs tile by tile (:func:`srbench.tiling.upscale_tiled`; ``tile=0`` disables it);
3. the output is clamped to [0, 255] and, optionally, histogram-matched to the LR input on float arrays
   (conventions section 7): ``'rgb'`` per RGB channel, ``'y'`` on the luminance only (Y matched to the LR's Y,
   Cb / Cr kept, then back to RGB); grayscale images are matched on their one channel in both modes;
4. saturate to [0, 255] and round half away from zero to ``uint8`` (MATLAB ``uint8``).

:func:`upscale_path` does this for one file or every image of a folder, writes PNGs atomically with the ``info``
record as JSON in a ``tEXt`` chunk named ``srbench`` (:func:`read_png_info` reads it back), writes
``upscale_manifest.json`` for a folder, and skips outputs whose recorded ``info`` equals what it would write
(same method and provenance key, scale, histogram matching, tiling, device, srbench version and input sha256),
so an interrupted run resumes by running the same command again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

import srbench
from srbench.atomic import atomic_path, check_writable
from srbench.data.imageio import IMAGE_SUFFIXES, list_images, read_image, write_image
from srbench.errors import ConfigError, DataError, access_error
from srbench.inference.colour_convert import rgb_to_ycbcr, ycbcr_to_rgb
from srbench.methods.base import Method
from srbench.postprocess.histmatch import match_histograms_float
from srbench.protocol.colour import luminance
from srbench.protocol.imresize import imresize
from srbench.tiling import DEFAULT_OVERLAP, DEFAULT_TILE, check_tiling, upscale_tiled

Histmatch = Literal["none", "rgb", "y"]
HISTMATCH_MODES: tuple[str, ...] = ("none", "rgb", "y")
#: name of the PNG tEXt chunk that holds the JSON ``info`` record
PNG_KEY = "srbench"
MANIFEST = "upscale_manifest.json"


# --- one image ---------------------------------------------------------------------------------------------


def _device(device: str | torch.device) -> torch.device:
    from srbench.device import resolve_device

    return device if isinstance(device, torch.device) else resolve_device(device)


def check_options(method: Method, scale: int, histmatch: str, tile: int | None, overlap: int) -> None:
    """Raise a one-line ``ConfigError`` for options :func:`upscale_image` cannot honour, before any work."""
    from srbench.methods.srdir import SrDirMethod

    if isinstance(method, SrDirMethod):
        raise ConfigError(
            f"method {method.name} reads finished SR images from a folder and cannot upscale; pick a method "
            "such as bicubic, srcnn or a .safetensors model"
        )
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ConfigError(f"scale {scale!r} is not a positive integer; pass --scale 2, 3, 4 or 8")
    if histmatch not in HISTMATCH_MODES:
        raise ConfigError(f"unknown histogram matching {histmatch!r}; use --histmatch none, rgb or y")
    check_tiling(tile, overlap)
    method.check_scale(scale)


def upscale_info(
    method: Method,
    scale: int,
    *,
    histmatch: str = "none",
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    device: str | torch.device = "auto",
) -> dict[str, Any]:
    """The record of how an output is made (stored in its PNG); JSON-serialisable."""
    return {
        "srbench_version": srbench.__version__,
        "method": method.name,
        "method_key": method.key(),
        "space": method.space,
        "scale": int(scale),
        "histmatch": histmatch,
        "tile": int(tile or 0),
        "overlap": int(overlap),
        "device": str(_device(device)),
    }


def _hwc_to_nchw(image: np.ndarray, device: torch.device) -> Tensor:
    t = torch.from_numpy(np.asarray(image, dtype=np.float64)).to(device)
    return t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]


def _nchw_to_hwc(x: Tensor) -> np.ndarray:
    a = x[0].detach().to("cpu", torch.float64).permute(1, 2, 0).numpy()
    return np.ascontiguousarray(a[..., 0] if a.shape[-1] == 1 else a)


def upscale_float(
    method: Method,
    image: np.ndarray,
    scale: int,
    *,
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    device: str | torch.device = "auto",
    image_id: str = "image",
) -> np.ndarray:
    """Steps 1-2 of the pipeline: the SR image, float64 on [0, 255] (unclamped), ``(sH, sW[, 3])`` like ``image``."""
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"upscale expects an (H, W) or (H, W, 3) image, got shape {image.shape}")
    dev = _device(device)
    x = _hwc_to_nchw(image, dev)  # (1, C, H, W) on [0, 255]
    gray = x.shape[1] == 1
    ids: Sequence[str] = [image_id]

    def fn(t: Tensor) -> Tensor:
        return method.upscale(t, scale, ids).to(torch.float64)

    if method.space == "y":
        if gray:
            out = upscale_tiled(fn, x / 255.0, scale, tile, overlap) * 255.0
        else:
            ycc = rgb_to_ycbcr(x)
            y_sr = upscale_tiled(fn, ycc[:, :1] / 255.0, scale, tile, overlap) * 255.0
            c_sr = imresize(ycc[:, 1:] / 255.0, scale, kernel="cubic", path="double") * 255.0
            out = ycbcr_to_rgb(torch.cat([y_sr.to(c_sr.device), c_sr], dim=1))
    else:
        rgb = x.expand(-1, 3, -1, -1) if gray else x
        out = upscale_tiled(fn, rgb / 255.0, scale, tile, overlap) * 255.0
        if gray and out.shape[1] == 3:
            out = luminance(out, gray_source=True, gray="as-y", rounding="float")
    want = (x.shape[-2] * scale, x.shape[-1] * scale)
    if tuple(out.shape[-2:]) != want or out.shape[1] != x.shape[1]:
        raise ValueError(f"method {method.name} returned {tuple(out.shape)}; expected {x.shape[1]} x {want}")
    return _nchw_to_hwc(out)


def match_to_input(sr: np.ndarray, lr: np.ndarray, histmatch: str = "none") -> np.ndarray:
    """Step 3: clamp ``sr`` (float, [0, 255]) and histogram-match it to ``lr`` (``'none'``, ``'rgb'`` or ``'y'``).

    Returns float64; for ``'y'`` the values may leave [0, 255] again (back from YCbCr) and are saturated with the
    final rounding.
    """
    x = np.clip(np.asarray(sr, dtype=np.float64), 0.0, 255.0)
    ref = np.asarray(lr, dtype=np.float64)
    if histmatch == "none":
        return x
    if histmatch == "rgb" or x.ndim == 2:
        return match_histograms_float(x, ref)
    if histmatch != "y":
        raise ConfigError(f"unknown histogram matching {histmatch!r}; use --histmatch none, rgb or y")
    ycc = rgb_to_ycbcr(torch.from_numpy(x).permute(2, 0, 1))
    ref_y = rgb_to_ycbcr(torch.from_numpy(ref).permute(2, 0, 1))[0].numpy()
    ycc[0] = torch.from_numpy(match_histograms_float(ycc[0].numpy(), ref_y))
    return np.ascontiguousarray(ycbcr_to_rgb(ycc).permute(1, 2, 0).numpy())


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Step 4: saturate to [0, 255] and round half away from zero (MATLAB ``uint8``)."""
    return np.floor(np.clip(x, 0.0, 255.0) + 0.5).astype(np.uint8)


def upscale_image(
    method: Method,
    image: np.ndarray,
    scale: int,
    *,
    histmatch: str = "none",
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    device: str | torch.device = "auto",
    image_id: str = "image",
) -> tuple[np.ndarray, dict[str, Any]]:
    """Upscale a ``uint8`` image ``(H, W)`` or ``(H, W, 3)`` by ``scale``; returns ``(sr_uint8, info)``.

    ``info`` is :func:`upscale_info`: method name and provenance key, scale, histogram matching, tiling, device
    and srbench version.
    """
    if np.asarray(image).dtype != np.uint8:
        raise ValueError(f"upscale_image expects a uint8 image, got {np.asarray(image).dtype}")
    check_options(method, scale, histmatch, tile, overlap)
    dev = _device(device)
    sr = upscale_float(method, image, scale, tile=tile, overlap=overlap, device=dev, image_id=image_id)
    out = to_uint8(match_to_input(sr, image, histmatch))
    info = upscale_info(method, scale, histmatch=histmatch, tile=tile, overlap=overlap, device=dev)
    return out, info


# --- PNG files with the info record ------------------------------------------------------------------------


def write_png(path: str | os.PathLike[str], image: np.ndarray, info: dict[str, Any]) -> None:
    """Write ``uint8`` ``image`` as PNG with ``info`` as JSON in the ``srbench`` tEXt chunk, atomically."""
    if image.dtype != np.uint8:
        raise ValueError(f"write_png expects uint8, got {image.dtype}")
    write_image(path, image, {PNG_KEY: json.dumps(info, sort_keys=True)})


def read_png_info(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``info`` record of a PNG written by :func:`write_png`, or ``None`` (missing file, chunk or bad JSON)."""
    try:
        with Image.open(path) as im:
            text = im.info.get(PNG_KEY)
    except (FileNotFoundError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    if not isinstance(text, str):
        return None
    try:
        info = json.loads(text)
    except json.JSONDecodeError:
        return None
    return info if isinstance(info, dict) else None


def _write_json(path: Path, data: Any) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise access_error(path, "read", exc) from None
    return h.hexdigest()


# --- files and folders -------------------------------------------------------------------------------------


@dataclass
class UpscaleResult:
    """What :func:`upscale_path` did: every output path, how many were written and skipped, the manifest."""

    outputs: list[Path] = field(default_factory=list)
    written: int = 0
    skipped: int = 0
    manifest: Path | None = None


def _plan(source: Path, target: Path) -> tuple[list[tuple[Path, Path]], bool]:
    """``[(input, output), ...]`` and whether the input is a folder; one-line errors for bad paths."""
    if not source.exists():
        raise DataError(f"{source}: no such file or folder; check the input path")
    if source.is_dir():
        if target.exists() and not target.is_dir():
            raise ConfigError(f"{target}: is a file but the input {source} is a folder; pass an output folder")
        if target.exists() and target.resolve() == source.resolve():
            raise ConfigError(f"{target}: is the input folder; pass a different output folder")
        files = list_images(source)
        if not files:
            suffixes = ", ".join(IMAGE_SUFFIXES)
            raise DataError(f"{source}: no images ({suffixes}) in this folder; pass a folder of images")
        by_name: dict[str, Path] = {}
        for f in files:
            name = f.stem + ".png"
            if name in by_name:
                raise ConfigError(
                    f"{f} and {by_name[name]} would both be written to {target / name}; rename one of them"
                )
            by_name[name] = f
        return [(f, target / name) for name, f in by_name.items()], True
    if target.is_dir() or (not target.exists() and target.suffix == ""):
        out = target / (source.stem + ".png")
    elif target.suffix.lower() == ".png":
        out = target
    else:
        raise ConfigError(f"{target}: outputs are PNG files; name the output *.png or pass a folder")
    if out.exists() and out.resolve() == source.resolve():
        raise ConfigError(f"{out}: is the input image; pass a different output path")
    return [(source, out)], False


def upscale_path(
    method: Method,
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    scale: int,
    *,
    histmatch: str = "none",
    tile: int | None = DEFAULT_TILE,
    overlap: int = DEFAULT_OVERLAP,
    device: str | torch.device = "auto",
    progress: bool = False,
) -> UpscaleResult:
    """Upscale the image file ``source``, or every image of the folder ``source``, into PNGs at ``target``.

    A file goes to ``target`` if that ends in ``.png``, else into the folder ``target`` (created) as
    ``<stem>.png``; a folder's images go to ``target/<stem>.png`` and ``target/upscale_manifest.json``. Outputs
    whose recorded info already matches are skipped. ``progress`` shows a rich progress bar (folders only).
    """
    src, dst = Path(source), Path(target)
    check_options(method, scale, histmatch, tile, overlap)
    dev = _device(device)
    plan, is_folder = _plan(src, dst)
    check_writable(plan[0][1])  # an unwritable destination fails now, in one line, not after the first image
    base = upscale_info(method, scale, histmatch=histmatch, tile=tile, overlap=overlap, device=dev)
    result = UpscaleResult()
    entries: list[dict[str, Any]] = []

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]upscale"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not (progress and is_folder),
    )
    with bar:
        task = bar.add_task("upscale", total=len(plan))
        for inp, out in plan:
            info = {**base, "input": inp.name, "input_sha256": _sha256(inp)}
            if read_png_info(out) == json.loads(json.dumps(info)):
                result.skipped += 1
            else:
                image = read_image(inp)
                sr, _ = upscale_image(
                    method,
                    image,
                    scale,
                    histmatch=histmatch,
                    tile=tile,
                    overlap=overlap,
                    device=dev,
                    image_id=inp.stem,
                )
                write_png(out, sr, info)
                result.written += 1
            result.outputs.append(out)
            entries.append({"input": inp.name, "input_sha256": info["input_sha256"], "output": out.name})
            bar.advance(task)
    if is_folder:
        result.manifest = dst / MANIFEST
        _write_json(result.manifest, {**base, "images": entries})
    return result
