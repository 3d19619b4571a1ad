"""Reading and writing 8-bit images, with one-line errors for every file srbench cannot score.

srbench scores 8-bit images only: 3-channel RGB or 1-channel grayscale. Anything else (alpha channel, 16-bit,
CMYK, a truncated or corrupt file) is refused with a message naming the file and the fix, instead of being
silently converted into numbers that differ from the literature.

Every format is decoded by Pillow (which checks PNG chunk CRCs and the zlib stream): srbench has no decoder of
its own.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from srbench.atomic import atomic_path
from srbench.errors import DataError, access_error

IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".ppm", ".pgm", ".webp")


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an 8-bit image as ``uint8``: ``(H, W, 3)`` for RGB, ``(H, W)`` for grayscale.

    Palette images without transparency are expanded to RGB and bilevel images to grayscale, both losslessly.

    Raises:
        DataError: missing, unreadable, truncated or corrupt file; alpha channel; more than 8 bits; CMYK.
    """
    p = Path(path)
    try:
        is_file = p.is_file()
    except OSError as exc:  # a folder above it without search permission
        raise access_error(p, "read", exc) from None
    if not is_file:
        raise DataError(f"{p}: no such image file; check the path or the data root")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                deep = _more_than_8_bits(im)  # before load(): PIL reduces 16-bit RGB to 8 bits silently
                im.load()
                mode = im.mode
                has_alpha = "A" in im.getbands() or (mode == "P" and "transparency" in im.info)
                if has_alpha:
                    raise DataError(
                        f"{p}: image has an alpha channel ({mode}); save it as 8-bit RGB without alpha "
                        "(e.g. PIL: im.convert('RGB').save(...))"
                    )
                if deep or mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
                    raise DataError(
                        f"{p}: image is {deep or mode} (more than 8 bits per channel); srbench scores 8-bit images, "
                        "convert it to 8-bit first"
                    )
                if mode in ("CMYK", "YCbCr", "LAB", "HSV"):
                    raise DataError(f"{p}: image is in {mode} colour; convert it to 8-bit RGB first")
                if mode == "P":
                    im2 = im.convert("RGB")
                elif mode == "1":
                    im2 = im.convert("L")
                else:
                    im2 = im
                arr = np.asarray(im2)
    except DataError:
        raise
    except PermissionError as exc:  # not "corrupt": the file is fine, the user cannot read it
        raise access_error(p, "read", exc) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise DataError(f"{p}: cannot decode image ({reason}); the file is corrupt or truncated, replace it") from None
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise DataError(f"{p}: unsupported image layout {arr.shape} {arr.dtype}; use 8-bit RGB or grayscale")
    return np.ascontiguousarray(arr)


def _more_than_8_bits(im: Image.Image) -> str | None:
    """Whether the opened, not yet loaded ``im`` stores more than 8 bits per channel (16-bit RGB PNG or TIFF,
    whose ``mode`` is plain ``RGB`` because PIL narrows them to 8 bits while decoding): the stored raw mode
    (e.g. ``RGB;16B``), else ``None``."""
    for tile in getattr(im, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        rawmode = args if isinstance(args, str) else args[0] if isinstance(args, tuple) and args else ""
        if isinstance(rawmode, str) and any(f";{b}" in rawmode for b in ("16", "32", "48", "64")):
            return rawmode
    return None


def write_image(path: str | os.PathLike[str], image: np.ndarray, text: dict[str, str] | None = None) -> None:
    """Write a ``uint8`` ``(H, W)`` or ``(H, W, 3)`` array as PNG, atomically (temp file, then rename).

    ``text`` entries become PNG tEXt chunks (e.g. the record of how an image was made).
    """
    p = Path(path)
    if image.dtype != np.uint8:
        raise ValueError(f"write_image expects uint8, got {image.dtype}")
    pnginfo = None
    if text:
        from PIL import PngImagePlugin

        pnginfo = PngImagePlugin.PngInfo()
        for key, value in text.items():
            pnginfo.add_text(key, value)
    with atomic_path(p) as tmp:
        Image.fromarray(image).save(tmp, format="PNG", pnginfo=pnginfo)


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name; hidden files are skipped."""
    d = Path(folder)
    try:
        if not d.is_dir():
            raise DataError(f"{d}: not a directory; pass a folder of images")
        return sorted(
            f for f in d.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and not f.name.startswith(".")
        )
    except PermissionError as exc:
        raise access_error(d, "read", exc) from None
