"""Reading and writing 8-bit images, with one-line errors for every file srbench cannot score.

srbench scores 8-bit images only: 3-channel RGB or 1-channel grayscale. Anything else (alpha channel, 16-bit,
CMYK, a truncated or corrupt file) is refused with a message naming the file and the fix, instead of being
silently converted into numbers that differ from the literature.

Plain PNGs (8-bit RGB or grayscale, not interlaced, no transparency key, only the chunks listed in
``_PLAIN_PNG_CHUNKS``) take a fast path: the chunks are checked here (structure, CRCs, allowed types), the image
data is inflated with ``zlib_ng`` (zlib-ng; stdlib :mod:`zlib` if it is missing; both check the Adler-32) and
the scanlines are unfiltered by the compiled kernel :func:`srbench.kernels.png_unfilter.unfilter` (numba). On
the 100 BSD100 HR images (481 x 321 RGB, one thread) this takes about 2.3 ms an image against 4.1 ms with PIL
(3.0 ms with stdlib zlib), after a one-off 0.3-0.5 s to load the compiled kernel in a new process. Every other
file, and every PNG whose structure, checksums, zlib stream or filter bytes are not intact, goes through PIL, so
the result (array or error message) is the same either way. Set ``SRBENCH_PNG_DECODER=pil`` to decode everything
with PIL (to compare decoders, or to rule the fast path out); PIL is also used for every file when the compiled
kernels are off (``SRBENCH_KERNELS=torch``, or numba missing: see :func:`srbench.kernels.enabled`).
"""

from __future__ import annotations

import functools
import os
import struct
import warnings
import zlib
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from srbench import kernels
from srbench.atomic import atomic_path
from srbench.errors import DataError, access_error

IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".ppm", ".pgm", ".webp")

PNG_DECODER_ENV = "SRBENCH_PNG_DECODER"
"""Environment variable: ``pil`` decodes every PNG with PIL; unset (or anything else) uses the fast path where safe."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IHDR_END = 33  # signature (8) + IHDR length, type, 13 data bytes, CRC
_MAX_CHUNK_LENGTH = 2**31 - 1
# Ancillary chunks a plain PNG may carry, with their required data length (None: any). PIL reads each of these
# without effect on the pixels and without an error at these lengths (tEXt: up to PngImagePlugin.MAX_TEXT_MEMORY
# in all); a PNG with any other chunk (tRNS, PLTE, iCCP, zTXt, iTXt, sBIT, APNG, private, ...) goes to PIL.
_PLAIN_PNG_CHUNKS: dict[bytes, int | None] = {
    b"tEXt": None,
    b"tIME": 7,
    b"gAMA": 4,
    b"cHRM": 32,
    b"sRGB": 1,
    b"pHYs": 9,
}
_PLAIN_PNG_CHUNKS_AFTER_IDAT = (b"tEXt", b"tIME")


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
    if p.suffix.lower() == ".png" and _fast_png_enabled():
        arr = _read_plain_png(p)
        if arr is not None:
            return arr
    return _read_with_pil(p)


def _read_with_pil(p: Path) -> np.ndarray:
    """The reference decoder: every format, every check, every error message."""
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


@functools.cache
def _inflate_module() -> ModuleType:
    """``zlib_ng.zlib_ng`` (zlib-ng, faster) when it imports, else stdlib :mod:`zlib`: same API, same output."""
    try:
        from zlib_ng import zlib_ng
    except Exception:  # pragma: no cover - zlib-ng is a dependency; a missing or broken install uses stdlib zlib
        return zlib
    return zlib_ng


def _unfilter(scanlines: bytes, height: int, width: int, channels: int) -> np.ndarray | None:
    """:func:`srbench.kernels.png_unfilter.unfilter`, imported on first use (it compiles with numba)."""
    from srbench.kernels.png_unfilter import unfilter

    return unfilter(scanlines, height, width, channels)


def _fast_png_enabled() -> bool:
    """Whether plain PNGs take the fast path: ``$SRBENCH_PNG_DECODER`` is not ``pil`` and the compiled kernels are
    on (:func:`srbench.kernels.enabled`: numba importable and ``$SRBENCH_KERNELS`` is not ``torch``)."""
    return os.environ.get(PNG_DECODER_ENV, "").strip().lower() != "pil" and kernels.enabled()


def _read_plain_png(p: Path) -> np.ndarray | None:
    """Decode ``p`` if it is a plain, intact PNG; ``None`` means "let PIL decide" (PIL gives the same array for
    every file this accepts, and the proper error message for every file it turns down)."""
    try:
        with open(p, "rb") as f:
            head = f.read(_IHDR_END)
            header = _plain_png_header(head)
            if header is None:
                return None
            data = head + f.read()
    except PermissionError as exc:
        raise access_error(p, "read", exc) from None
    except OSError:
        return None
    width, height, channels = header
    scanlines = _verified_scanlines(data, height * (1 + width * channels))
    if scanlines is None:
        return None
    try:
        arr = _unfilter(scanlines, height, width, channels)
    except ImportError:  # numba imported (kernels.enabled) but the kernel module did not: PIL decodes
        return None
    shape = (height, width, 3) if channels == 3 else (height, width)
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint8 or arr.shape != shape:
        return None  # None: a filter-type byte over 4, which PIL reports as a broken file
    return np.ascontiguousarray(arr)


def _plain_png_header(head: bytes) -> tuple[int, int, int] | None:
    """``(width, height, channels)`` when ``head`` (the first 33 bytes) is a PNG signature and an intact IHDR for an
    8-bit gray or RGB, non-interlaced image that PIL opens without a decompression-bomb warning; else ``None``."""
    if len(head) != _IHDR_END or not head.startswith(_PNG_SIGNATURE):
        return None
    length, ctype, width, height, depth, colour, compression, filtering, interlace, crc = struct.unpack(
        ">I4sIIBBBBBI", head[8:]
    )
    if length != 13 or ctype != b"IHDR" or zlib.crc32(head[12:29]) != crc:
        return None
    if not (0 < width <= _MAX_CHUNK_LENGTH and 0 < height <= _MAX_CHUNK_LENGTH):
        return None
    if depth != 8 or colour not in (0, 2) or compression or filtering or interlace:
        return None
    max_pixels = Image.MAX_IMAGE_PIXELS
    if max_pixels is not None and width * height > max_pixels:
        return None
    return width, height, 3 if colour == 2 else 1


def _verified_scanlines(data: bytes, expected: int) -> bytes | None:
    """The inflated image data (filter byte + row, per row) of the PNG in ``data``, or ``None`` unless every chunk
    after IHDR is complete, is IDAT or allowed by ``_PLAIN_PNG_CHUNKS`` with a valid CRC, the IDAT chunks are
    consecutive, an IEND follows, and their zlib stream is intact (Adler-32 checked) and exactly ``expected``
    bytes long with nothing after it. IDAT CRCs are not checked, as PIL does not check them either (the Adler-32
    covers the data)."""
    pos, end = _IHDR_END, len(data)
    view = memoryview(data)
    idat: list[memoryview] = []
    after_idat = False
    text_bytes = 0
    while True:
        if pos + 8 > end:
            return None
        length, ctype = struct.unpack_from(">I4s", data, pos)
        if ctype == b"IEND":
            break
        stop = pos + 12 + length
        if length > _MAX_CHUNK_LENGTH or stop > end:
            return None
        if ctype == b"IDAT":
            if after_idat:
                return None
            idat.append(view[pos + 8 : pos + 8 + length])
        else:
            after_idat = bool(idat)
            if after_idat and ctype not in _PLAIN_PNG_CHUNKS_AFTER_IDAT:
                return None
            if ctype not in _PLAIN_PNG_CHUNKS:
                return None
            required = _PLAIN_PNG_CHUNKS[ctype]
            if required is not None and length != required:
                return None
            if zlib.crc32(data[pos + 4 : pos + 8 + length]) != int.from_bytes(data[stop - 4 : stop], "big"):
                return None
            if ctype == b"tEXt":
                text_bytes += length
                if text_bytes > PngImagePlugin.MAX_TEXT_MEMORY:
                    return None
        pos = stop
    if not idat:
        return None
    inflate = _inflate_module()
    inflater = inflate.decompressobj()
    try:
        scanlines = inflater.decompress(idat[0] if len(idat) == 1 else b"".join(idat), expected + 1)
    except (zlib.error, inflate.error):
        return None
    if len(scanlines) != expected or not inflater.eof or inflater.unused_data:
        return None
    return scanlines


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
