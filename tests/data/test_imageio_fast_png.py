"""``read_image`` decodes plain PNGs on its fast path (its own chunk checks, zlib-ng inflate, the compiled
unfilter kernel) and gives exactly what the PIL path gives: the same array for every file it takes, and PIL's
own answer (array or one-line error) for every file it leaves to PIL.

Each case is read twice, once as by default and once with ``SRBENCH_PNG_DECODER=pil``; the two results must be
identical. ``imageio._unfilter`` is wrapped to count calls, which shows which files take the fast path; the
tests that read PNGs run with zlib-ng and again with stdlib zlib as the inflater.
"""

from __future__ import annotations

import io
import itertools
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from srbench import kernels
from srbench.data import imageio
from srbench.data.imageio import PNG_DECODER_ENV, read_image, write_image
from srbench.errors import DataError

Call = tuple[int, bool]
"""One call of the unfilter kernel: (channels, whether it returned pixels rather than None)."""


@pytest.fixture(autouse=True)
def _default_decoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from the default (fast path and compiled kernels on) and a fresh inflater choice."""
    monkeypatch.delenv(PNG_DECODER_ENV, raising=False)
    monkeypatch.delenv(kernels.ENV, raising=False)
    imageio._inflate_module.cache_clear()
    yield
    imageio._inflate_module.cache_clear()


@pytest.fixture(params=["zlib_ng", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with zlib-ng inflating the image data, and again as if zlib-ng were not installed."""
    if request.param == "zlib_ng":
        pytest.importorskip("zlib_ng", reason="zlib-ng is not installed")
    else:
        monkeypatch.setitem(sys.modules, "zlib_ng", None)  # ``from zlib_ng import zlib_ng`` now raises ImportError
    imageio._inflate_module.cache_clear()
    assert imageio._inflate_module().__name__ == ("zlib_ng.zlib_ng" if request.param == "zlib_ng" else "zlib")
    return str(request.param)


@pytest.fixture
def unfilter_calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Calls of ``imageio._unfilter`` (the compiled kernel still decodes), one entry per call."""
    calls: list[Call] = []
    real = imageio._unfilter

    def counting(scanlines: bytes, height: int, width: int, channels: int) -> np.ndarray | None:
        out = real(scanlines, height, width, channels)
        calls.append((channels, out is not None))
        return out

    monkeypatch.setattr(imageio, "_unfilter", counting)
    return calls


# --- helpers ------------------------------------------------------------------------------------------------


def _outcome(path: Path, monkeypatch: pytest.MonkeyPatch, decoder: str | None) -> Any:
    """``read_image(path)`` with ``$SRBENCH_PNG_DECODER`` unset (None) or set; an exception as (type, message)."""
    if decoder is None:
        monkeypatch.delenv(PNG_DECODER_ENV, raising=False)
    else:
        monkeypatch.setenv(PNG_DECODER_ENV, decoder)
    try:
        return read_image(path)
    except Exception as exc:  # DataError, or PIL's decompression-bomb refusals, which read_image lets through
        return (type(exc), str(exc))
    finally:
        monkeypatch.delenv(PNG_DECODER_ENV, raising=False)


def _assert_same_as_pil(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    fast = _outcome(path, monkeypatch, None)
    pil = _outcome(path, monkeypatch, "pil")
    if isinstance(pil, np.ndarray):
        assert isinstance(fast, np.ndarray), (path.name, fast)
        assert (fast.dtype, fast.shape) == (pil.dtype, pil.shape), path.name
        assert np.array_equal(fast, pil), path.name
        assert fast.flags.c_contiguous, path.name
    else:
        assert fast == pil, path.name
    return fast


def _chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def _png(
    img: np.ndarray,
    scanlines: bytes,
    *,
    colour: int | None = None,
    interlace: int = 0,
    before: tuple[bytes, ...] = (),
    after: tuple[bytes, ...] = (),
    idat_parts: int = 1,
    stream: bytes | None = None,
) -> bytes:
    """A PNG of ``img`` (8-bit gray or RGB) from ready-made filtered ``scanlines``, written chunk by chunk."""
    height, width = img.shape[:2]
    colour = (2 if img.ndim == 3 else 0) if colour is None else colour
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, interlace)
    data = zlib.compress(scanlines, 9) if stream is None else stream
    cuts = np.linspace(0, len(data), idat_parts + 1).astype(int)
    idat = b"".join(_chunk(b"IDAT", data[a:b]) for a, b in itertools.pairwise(cuts))
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + b"".join(before) + idat + b"".join(after) + _chunk(b"IEND", b"")
    )


def _paeth(a: int, b: int, c: int) -> int:
    """The Paeth predictor as the PNG specification writes it (ISO/IEC 15948, 9.4)."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_row(kind: int, cur: list[int], up: list[int], bpp: int) -> bytes:
    """One PNG scanline: the filter-type byte, then ``cur`` filtered against ``up`` (the row above; zeros for the
    first row), in plain Python, byte by byte, as the specification defines it."""
    out = [kind]
    for i, x in enumerate(cur):
        a = cur[i - bpp] if i >= bpp else 0
        b = up[i]
        c = up[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, _paeth(a, b, c))[kind]
        out.append((x - pred) % 256)
    return bytes(out)


def _filtered(img: np.ndarray, filters: tuple[int, ...] = (0, 1, 2, 3, 4)) -> bytes:
    """PNG scanlines of ``img`` with the filter types in ``filters`` used row after row (cyclically)."""
    height = img.shape[0]
    bpp = 1 if img.ndim == 2 else img.shape[2]
    rows = [[int(v) for v in row] for row in img.reshape(height, -1)]
    lines = []
    for r, cur in enumerate(rows):
        up = rows[r - 1] if r else [0] * len(cur)
        lines.append(_filter_row(filters[r % len(filters)], cur, up, bpp))
    return b"".join(lines)


ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _adam7(img: np.ndarray) -> bytes:
    """Interlaced (Adam7) scanlines of ``img``: seven reduced images, each filtered on its own."""
    passes = (img[y0::dy, x0::dx] for x0, y0, dx, dy in ADAM7)
    return b"".join(_filtered(np.ascontiguousarray(sub)) for sub in passes if sub.shape[0] and sub.shape[1])


def _rgb(shape: tuple[int, int] = (20, 30), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def _gray(shape: tuple[int, int] = (20, 30), seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _smooth_rgb(shape: tuple[int, int] = (24, 40)) -> np.ndarray:
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    return np.stack([(x * 5) % 256, (y * 7) % 256, (x + y) * 2 % 256], axis=-1).astype(np.uint8)


def _save(image: Image.Image, **params: Any) -> Callable[[Path], bytes]:
    def build(tmp: Path) -> bytes:
        f = tmp / "pil.png"
        image.save(f, format="PNG", **params)
        return f.read_bytes()

    return build


def _raw(data: bytes) -> Callable[[Path], bytes]:
    return lambda tmp: data


TIME = _chunk(b"tIME", struct.pack(">HBBBBB", 2024, 5, 17, 12, 30, 0))
ANCILLARY = (
    _chunk(b"gAMA", struct.pack(">I", 45455)),
    _chunk(b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
    _chunk(b"sRGB", b"\x00"),
    _chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
    TIME,
    _chunk(b"tEXt", b"Comment\x00made for srbench"),
)


# Plain 8-bit gray/RGB PNGs, not interlaced, no transparency, only harmless ancillary chunks: the fast path.
PLAIN: dict[str, Callable[[Path], bytes]] = {
    "rgb": _save(Image.fromarray(_rgb())),
    "gray": _save(Image.fromarray(_gray())),
    "rgb_smooth": _save(Image.fromarray(_smooth_rgb())),
    "rgb_1x1": _save(Image.fromarray(_rgb((1, 1)))),
    "gray_1x1": _save(Image.fromarray(_gray((1, 1)))),
    "rgb_3x517": _save(Image.fromarray(_rgb((3, 517)))),
    "gray_517x3": _save(Image.fromarray(_gray((517, 3)))),
    "rgb_517x3": _save(Image.fromarray(_rgb((517, 3)))),
    "rgb_compress_level_0": _save(Image.fromarray(_rgb((33, 65))), compress_level=0),
    "rgb_every_filter_type": _raw(_png(_rgb((17, 23)), _filtered(_rgb((17, 23))))),
    "gray_every_filter_type": _raw(_png(_gray((17, 23)), _filtered(_gray((17, 23))))),
    "rgb_idat_in_many_chunks": _raw(_png(_rgb(), _filtered(_rgb()), idat_parts=7)),
    "rgb_with_an_empty_idat_chunk": _raw(_png(_rgb(), _filtered(_rgb()), before=(_chunk(b"IDAT", b""),))),
    "rgb_ancillary_chunks": _raw(_png(_rgb(), _filtered(_rgb()), before=ANCILLARY, after=(TIME, ANCILLARY[-1]))),
    "rgb_bytes_after_iend": _raw(_png(_rgb(), _filtered(_rgb())) + b"trailing junk"),
}

# Everything else: left to PIL, which gives the array or the error message it always gave.
NOT_PLAIN: dict[str, Callable[[Path], bytes]] = {
    "bilevel": _save(Image.fromarray(_gray() > 127)),
    "palette": _save(Image.fromarray(_rgb()).quantize(16)),
    "palette_with_transparency": _save(Image.fromarray(_rgb()).quantize(8), transparency=0),
    "rgb_with_trns_colour_key": _save(Image.fromarray(_rgb()), transparency=(1, 2, 3)),
    "gray_with_trns_colour_key": _save(Image.fromarray(_gray()), transparency=7),
    "rgb_interlaced": _raw(_png(_rgb((19, 21)), _adam7(_rgb((19, 21))), interlace=1)),
    "gray_interlaced": _raw(_png(_gray((19, 21)), _adam7(_gray((19, 21))), interlace=1)),
    "gray_16_bit": _save(Image.fromarray(np.random.default_rng(2).integers(0, 65536, (12, 14), dtype=np.uint16))),
    "rgba": _save(Image.fromarray(np.random.default_rng(3).integers(0, 256, (12, 14, 4), dtype=np.uint8))),
    "gray_alpha": _save(Image.fromarray(np.random.default_rng(4).integers(0, 256, (12, 14, 2), dtype=np.uint8), "LA")),
    "rgb_with_icc_profile": _save(Image.fromarray(_rgb()), icc_profile=b"not really a profile"),
    "rgb_with_compressed_text": _raw(
        _png(_rgb(), _filtered(_rgb()), before=(_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"v")),))
    ),
    "rgb_with_private_chunk": _raw(_png(_rgb(), _filtered(_rgb()), before=(_chunk(b"prVt", b"x"),))),
    "rgb_with_extra_rows_in_idat": _raw(_png(_rgb(), _filtered(_rgb()) + b"\x00" * 91)),
    "rgb_with_bytes_after_zlib_stream": _raw(_png(_rgb(), b"", stream=zlib.compress(_filtered(_rgb())) + b"junk")),
    "rgb_without_adler32": _raw(_png(_rgb(), b"", stream=zlib.compress(_filtered(_rgb()))[:-4])),
    "jpeg_named_png": lambda tmp: _jpeg_bytes(),
}


def _jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / f"{name}.png"
    path.write_bytes(data)
    return path


# --- the fast path gives what PIL gives -------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("dataset", ["set5", "set14", "bsd100"])
def test_fast_path_decodes_every_shared_hr_png_exactly_like_pil(
    shared_datasets: Path, dataset: str, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted((shared_datasets / dataset / "hr").glob("*.png"))
    assert files
    for f in files:
        _assert_same_as_pil(f, monkeypatch)
    # every HR image is a plain PNG: all of them took the fast path, and were decoded there
    assert len(unfilter_calls) == len(files) and all(ok for _, ok in unfilter_calls)


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_8bit_gray_and_rgb_png_take_the_fast_path_and_match_pil(
    tmp_path: Path, name: str, inflater: str, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, name, PLAIN[name](tmp_path))
    out = _assert_same_as_pil(path, monkeypatch)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8
    assert unfilter_calls == [(3 if out.ndim == 3 else 1, True)]


@pytest.mark.parametrize("name", list(NOT_PLAIN))
def test_other_png_are_left_to_pil_with_the_same_array_or_error(
    tmp_path: Path, name: str, inflater: str, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, name, NOT_PLAIN[name](tmp_path))
    _assert_same_as_pil(path, monkeypatch)
    assert unfilter_calls == []


def test_synthetic_png_writers_are_right() -> None:
    """The hand-written interlaced and every-filter PNGs decode (with PIL) to the images they were made from."""
    for img in (_rgb((19, 21)), _gray((19, 21)), _rgb((1, 1)), _gray((9, 2))):
        for data in (_png(img, _filtered(img)), _png(img, _adam7(img), interlace=1)):
            with Image.open(io.BytesIO(data)) as im:
                assert np.array_equal(np.asarray(im), img)


# --- every filter type, every row, both pixel sizes ---------------------------------------------------------

FILTER_NAMES = ["none", "sub", "up", "average", "paeth"]
# (1, n): the first row only (no row above); (n, 1): one pixel a row (no pixel to the left, but one above)
FILTER_SHAPES = [(1, 1), (1, 13), (9, 1), (2, 2), (11, 17)]


def _image(shape: tuple[int, int], channels: int, content: str, seed: int) -> np.ndarray:
    """Random bytes; or bytes from a few values (0, 1, 2, 127, 128, 254, 255), which make Paeth ties and sums
    over 255 (Average, Paeth, and the modulo-256 additions) common."""
    rng = np.random.default_rng(seed)
    full = (*shape, channels) if channels > 1 else shape
    if content == "random":
        return rng.integers(0, 256, full, dtype=np.uint8)
    return rng.choice(np.array([0, 1, 2, 127, 128, 254, 255], np.uint8), full)


def _assert_filtered_png_reads_like_pil(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, img: np.ndarray, filters: tuple[int, ...], name: str
) -> None:
    data = _png(img, _filtered(img, filters))
    with Image.open(io.BytesIO(data)) as im:  # the hand-filtered file is right: PIL reads back the image
        assert np.array_equal(np.asarray(im), img), name
    out = _assert_same_as_pil(_write(tmp_path, name, data), monkeypatch)
    assert np.array_equal(out, img), name


@pytest.mark.parametrize("content", ["random", "few_values"])
@pytest.mark.parametrize("kind", range(5), ids=FILTER_NAMES)
@pytest.mark.parametrize("channels", [3, 1], ids=["rgb_bpp3", "gray_bpp1"])
def test_each_filter_type_on_every_row_decodes_like_pil(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unfilter_calls: list[Call],
    channels: int,
    kind: int,
    content: str,
) -> None:
    for i, shape in enumerate(FILTER_SHAPES):
        img = _image(shape, channels, content, seed=100 * kind + i)
        _assert_filtered_png_reads_like_pil(tmp_path, monkeypatch, img, (kind,), f"{shape[0]}x{shape[1]}")
    assert unfilter_calls == [(channels, True)] * len(FILTER_SHAPES)


@pytest.mark.parametrize("content", ["random", "few_values"])
@pytest.mark.parametrize("channels", [3, 1], ids=["rgb_bpp3", "gray_bpp1"])
@pytest.mark.parametrize("shape", [(80, 1), (80, 2), (80, 37), (1, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_random_mix_of_filter_types_per_row_decodes_like_pil(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    unfilter_calls: list[Call],
    channels: int,
    content: str,
    shape: tuple[int, int],
) -> None:
    rng = np.random.default_rng(shape[0] * 1000 + shape[1] + channels)
    img = _image(shape, channels, content, seed=int(rng.integers(1 << 30)))
    for trial in range(4 if shape[0] > 1 else 5):
        filters = tuple(int(k) for k in rng.integers(0, 5, shape[0])) if shape[0] > 1 else (trial,)
        if shape[0] > 1:
            assert set(filters) == set(range(5))  # 80 rows: every type occurs, next to every other
        _assert_filtered_png_reads_like_pil(tmp_path, monkeypatch, img, filters, f"mix{trial}")
    assert unfilter_calls == [(channels, True)] * (4 if shape[0] > 1 else 5)


def test_uppercase_png_suffix_takes_the_fast_path(
    tmp_path: Path, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "IMG_0001.PNG"
    Image.fromarray(_rgb()).save(path, format="PNG")
    _assert_same_as_pil(path, monkeypatch)
    assert unfilter_calls == [(3, True)]


def test_png_data_under_another_suffix_is_left_to_pil(
    tmp_path: Path, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "really_a_png.bmp"
    Image.fromarray(_rgb()).save(path, format="PNG")
    _assert_same_as_pil(path, monkeypatch)
    assert unfilter_calls == []


def test_write_image_output_with_text_takes_the_fast_path(
    tmp_path: Path, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sr.png"
    write_image(path, _rgb(), text={"srbench": "model=bicubic scale=4", "note": "x" * 5000})
    assert np.array_equal(_assert_same_as_pil(path, monkeypatch), _rgb())
    assert unfilter_calls == [(3, True)]


# --- broken files: the same one-line DataError as before ----------------------------------------------------


def _assert_one_line_data_error_like_pil(path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    out = _assert_same_as_pil(path, monkeypatch)
    assert isinstance(out, tuple) and out[0] is DataError, out
    msg = out[1]
    assert "\n" not in msg and str(path) in msg and "replace it" in msg, msg
    return msg


def test_truncated_png_raises_a_one_line_data_error_naming_the_file(
    tmp_path: Path, inflater: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = PLAIN["rgb_smooth"](tmp_path)
    path = _write(tmp_path, "cut", data[: len(data) // 2])
    assert "truncated" in _assert_one_line_data_error_like_pil(path, monkeypatch)


@pytest.mark.parametrize("image", ["random", "smooth"])
@pytest.mark.parametrize("fix_crc", [False, True], ids=["stale_crc", "recomputed_crc"])
def test_png_with_a_corrupted_idat_byte_raises_a_one_line_data_error(
    tmp_path: Path, inflater: str, monkeypatch: pytest.MonkeyPatch, image: str, fix_crc: bool
) -> None:
    """A byte flipped inside the stored (random) or compressed (smooth) image data: the Adler-32 check of the
    inflater must catch it (IDAT CRCs are not checked, by PIL either); read_image refuses the file as PIL does."""
    img = _rgb() if image == "random" else _smooth_rgb()
    stream = zlib.compress(_filtered(img, (0,)), 9)
    if fix_crc:  # written so by a faulty encoder: every CRC matches the damaged data
        damaged = bytearray(stream)
        damaged[len(damaged) // 2] ^= 0x10
        data = _png(img, b"", stream=bytes(damaged))
    else:  # damaged on disk after it was written: the IDAT CRC no longer matches
        good = _png(img, b"", stream=stream)
        pos = good.index(b"IDAT") + 4 + len(stream) // 2
        data = good[:pos] + bytes([good[pos] ^ 0x10]) + good[pos + 1 :]
    path = _write(tmp_path, "flipped", data)
    _assert_one_line_data_error_like_pil(path, monkeypatch)


def test_a_bad_idat_crc_over_intact_data_reads_as_with_pil(
    tmp_path: Path, inflater: str, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PIL does not check IDAT CRCs (the Adler-32 covers the data): such a file decodes, on both paths."""
    good = _png(_rgb(), _filtered(_rgb()))
    pos = good.index(b"IEND") - 8  # the IDAT chunk's CRC
    path = _write(tmp_path, "idat_crc", good[:pos] + bytes(4) + good[pos + 4 :])
    assert np.array_equal(_assert_same_as_pil(path, monkeypatch), _rgb())
    assert unfilter_calls == [(3, True)]


@pytest.mark.parametrize(
    "name",
    ["bad_adler32", "bad_ihdr_crc", "bad_text_crc", "no_idat", "idat_chunk_cut_short"],
)
def test_other_broken_png_raise_the_same_data_error_as_pil(
    tmp_path: Path, inflater: str, unfilter_calls: list[Call], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    img = _rgb()
    good_stream = zlib.compress(_filtered(img), 9)
    if name == "bad_adler32":
        data = _png(img, b"", stream=good_stream[:-4] + bytes(4))
    elif name == "bad_ihdr_crc":
        good = _png(img, b"", stream=good_stream)
        data = good[:29] + bytes(4) + good[33:]
    elif name == "bad_text_crc":
        text = _chunk(b"tEXt", b"Comment\x00hello")
        data = _png(img, b"", stream=good_stream, before=(text[:-4] + bytes(4),))
    elif name == "no_idat":
        data = _png(img, b"", stream=good_stream).replace(b"IDAT", b"IDAX")
    else:
        good = _png(img, b"", stream=good_stream)
        data = good[: good.index(b"IEND") - 20]
    path = _write(tmp_path, name, data)
    _assert_one_line_data_error_like_pil(path, monkeypatch)
    assert unfilter_calls == []  # turned down before the kernel runs


@pytest.mark.parametrize("row", ["first_row", "middle_row", "last_row"])
@pytest.mark.parametrize("byte", [5, 7, 255])
@pytest.mark.parametrize("channels", [3, 1], ids=["rgb", "gray"])
def test_an_invalid_filter_type_byte_raises_pils_error(
    tmp_path: Path,
    inflater: str,
    unfilter_calls: list[Call],
    monkeypatch: pytest.MonkeyPatch,
    channels: int,
    byte: int,
    row: str,
) -> None:
    """Filter types go up to 4: the kernel returns None and PIL reports the broken file, as it always did."""
    img = _rgb() if channels == 3 else _gray()
    lines = bytearray(_filtered(img))
    stride = 1 + img.shape[1] * channels
    r = {"first_row": 0, "middle_row": img.shape[0] // 2, "last_row": img.shape[0] - 1}[row]
    lines[r * stride] = byte
    path = _write(tmp_path, "bad_filter", _png(img, bytes(lines)))
    _assert_one_line_data_error_like_pil(path, monkeypatch)
    assert unfilter_calls == [(channels, False)]


@pytest.mark.parametrize("limit", [400, 250], ids=["bomb_warning", "bomb_error"])
def test_decompression_bomb_limit_applies_as_with_pil(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfilter_calls: list[Call], limit: int
) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(_rgb()).save(path)  # 600 pixels: over the limit, or over twice it
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    out = _assert_same_as_pil(path, monkeypatch)
    assert isinstance(out, tuple) and issubclass(out[0], Image.DecompressionBombWarning | Image.DecompressionBombError)
    assert unfilter_calls == []


# --- switching the fast path off, and falling back ----------------------------------------------------------


@pytest.mark.parametrize("value", ["pil", "PIL", " pil "])
def test_srbench_png_decoder_pil_disables_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfilter_calls: list[Call], value: str
) -> None:
    path = tmp_path / "plain.png"
    Image.fromarray(_rgb()).save(path)
    monkeypatch.setenv(PNG_DECODER_ENV, value)
    assert np.array_equal(read_image(path), _rgb())
    assert unfilter_calls == []
    monkeypatch.delenv(PNG_DECODER_ENV)
    assert np.array_equal(read_image(path), _rgb())
    assert unfilter_calls == [(3, True)]


def test_srbench_kernels_torch_disables_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfilter_calls: list[Call]
) -> None:
    """Without the compiled kernels, every PNG is read with PIL: not even the inflate runs on the fast path."""
    path = tmp_path / "plain.png"
    Image.fromarray(_rgb()).save(path)
    inflates: list[int] = []
    real = imageio._verified_scanlines

    def counting(data: bytes, expected: int) -> bytes | None:
        inflates.append(expected)
        return real(data, expected)

    monkeypatch.setattr(imageio, "_verified_scanlines", counting)
    monkeypatch.setenv(kernels.ENV, "torch")
    assert np.array_equal(read_image(path), _rgb())
    assert (unfilter_calls, inflates) == ([], [])
    monkeypatch.setenv(kernels.ENV, "numba")
    assert np.array_equal(read_image(path), _rgb())
    assert (unfilter_calls, inflates) == ([(3, True)], [20 * (1 + 30 * 3)])


@pytest.mark.parametrize("failure", ["none", "wrong_shape", "wrong_dtype", "not_an_array", "import_error"])
def test_a_missing_or_odd_unfilter_result_falls_back_to_pil(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    real = imageio._unfilter
    calls = []

    def broken(scanlines: bytes, height: int, width: int, channels: int) -> Any:
        calls.append(channels)
        arr = real(scanlines, height, width, channels)
        assert arr is not None
        if failure == "none":
            return None
        if failure == "wrong_shape":
            return arr[:-1]
        if failure == "wrong_dtype":
            return arr.astype(np.uint16)
        if failure == "not_an_array":
            return arr.tolist()
        monkeypatch.setitem(sys.modules, "srbench.kernels.png_unfilter", None)  # the import inside now fails
        return real(scanlines, height, width, channels)

    monkeypatch.setattr(imageio, "_unfilter", broken)
    path = tmp_path / "plain.png"
    Image.fromarray(_rgb()).save(path)
    out = read_image(path)
    assert calls == [3]
    assert out.dtype == np.uint8 and np.array_equal(out, _rgb())


@pytest.mark.parametrize("missing", ["zlib_ng", "numba", "zlib_ng_and_numba"])
def test_module_imports_and_reads_png_without_zlib_ng_or_numba(tmp_path: Path, missing: str) -> None:
    """In a fresh interpreter: without zlib-ng the fast path inflates with stdlib zlib (same arrays); without
    numba the kernels are off and PIL reads everything."""
    rgb, gray = tmp_path / "rgb.png", tmp_path / "gray.png"
    Image.fromarray(_rgb()).save(rgb)
    Image.fromarray(_gray()).save(gray)
    blocked = missing.replace("zlib_ng_and_numba", "zlib_ng numba").split()
    code = (
        "import sys, zlib\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import numpy as np\n"
        "from PIL import Image\n"
        "from srbench import kernels\n"
        "from srbench.data import imageio\n"
        "calls = []\n"
        "real = imageio._unfilter\n"
        "imageio._unfilter = lambda *a: calls.append(a[3]) or real(*a)\n"
        "for f in sys.argv[1:]:\n"
        "    out = imageio.read_image(f)\n"
        "    assert np.array_equal(out, np.asarray(Image.open(f))), f\n"
        "    print(out.shape)\n"
        "print(kernels.enabled(), imageio._inflate_module() is zlib, calls)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(rgb), str(gray)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    numba_on = "numba" not in blocked
    expected = ["(20, 30, 3)", "(20, 30)", f"{numba_on} {'zlib_ng' in blocked} {[3, 1] if numba_on else []}"]
    assert done.stdout.split("\n")[:3] == expected
