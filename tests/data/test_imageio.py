"""``read_image`` refuses every file srbench cannot score with one line naming the file and the fix; it expands
palette and bilevel images losslessly; ``write_image`` is atomic and round-trips."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from PIL import Image

from srbench.data.imageio import list_images, read_image, write_image
from srbench.errors import DataError

FIX_WORDS = ("convert", "replace", "save", "check")


def _rgb(seed: int = 0, shape: tuple[int, int] = (20, 30)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def _assert_one_line_error(path: Path, *needles: str) -> str:
    with pytest.raises(DataError) as info:
        read_image(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    assert any(w in msg.lower() for w in FIX_WORDS), msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def test_missing_file(tmp_path: Path) -> None:
    _assert_one_line_error(tmp_path / "nope.png", "no such image file")


def test_truncated_png(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(_rgb()).save(good)
    data = good.read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(data[: len(data) // 2])
    _assert_one_line_error(cut, "truncated")


def test_garbage_bytes_with_png_suffix(tmp_path: Path) -> None:
    p = tmp_path / "garbage.png"
    p.write_bytes(b"this is not an image\x00\x01\x02" * 20)
    _assert_one_line_error(p, "cannot decode")


def test_png_with_a_flipped_image_data_byte_is_refused(tmp_path: Path) -> None:
    """A byte damaged inside the compressed image data (Pillow checks the zlib stream): one line, no array."""
    good = tmp_path / "good.png"
    Image.fromarray(_rgb(3, (40, 40))).save(good)
    data = bytearray(good.read_bytes())
    idat = data.index(b"IDAT")
    data[idat + 4 + 100] ^= 0x10
    bad = tmp_path / "flipped.png"
    bad.write_bytes(bytes(data))
    _assert_one_line_error(bad, "cannot decode")


def test_read_image_is_pillows_array_for_every_shared_hr_png(shared_datasets: Path) -> None:
    """srbench has no decoder of its own: every HR PNG of Set5/Set14/BSD100 reads as Pillow's own array."""
    files = sorted(f for d in ("set5", "set14", "bsd100") for f in (shared_datasets / d / "hr").glob("*.png"))
    assert len(files) >= 119
    for f in files:
        with Image.open(f) as im:
            ref = np.asarray(im.convert("L") if im.mode == "1" else im.convert("RGB") if im.mode == "P" else im)
        assert_array_equal(read_image(f), ref, err_msg=str(f))


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    _assert_one_line_error(p, "cannot decode")


@pytest.mark.parametrize(("mode", "channels"), [("RGBA", 4), ("LA", 2)])
def test_alpha_channel_is_refused(tmp_path: Path, mode: str, channels: int) -> None:
    p = tmp_path / f"{mode}.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (12, 14, channels), dtype=np.uint8), mode).save(p)
    assert Image.open(p).mode == mode
    _assert_one_line_error(p, "alpha", mode)


def test_palette_with_transparency_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "ptrans.png"
    Image.fromarray(_rgb()).quantize(8).save(p, transparency=0)
    _assert_one_line_error(p, "alpha")


def test_16_bit_grayscale_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "deep.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 65536, (12, 14), dtype=np.uint16)).save(p)
    assert Image.open(p).mode.startswith("I;16")
    _assert_one_line_error(p, "8-bit")


@pytest.mark.parametrize("suffix", [".jpg", ".tif"])
def test_cmyk_is_refused(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"cmyk{suffix}"
    Image.fromarray(_rgb()).convert("CMYK").save(p)
    assert Image.open(p).mode == "CMYK"
    _assert_one_line_error(p, "CMYK")


def test_palette_image_is_expanded_to_rgb(tmp_path: Path) -> None:
    p = tmp_path / "pal.png"
    Image.fromarray(_rgb(3)).quantize(16).save(p)
    with Image.open(p) as im:
        assert im.mode == "P"
        index = np.array(im)
        palette = np.array(im.getpalette(), dtype=np.uint8).reshape(-1, 3)
    out = read_image(p)
    assert out.dtype == np.uint8 and out.shape == (20, 30, 3)
    assert_array_equal(out, palette[index])  # plain palette lookup, lossless


def test_bilevel_image_is_expanded_to_grayscale(tmp_path: Path) -> None:
    bits = np.random.default_rng(4).integers(0, 2, (17, 23)).astype(bool)
    p = tmp_path / "bits.png"
    Image.fromarray(bits).save(p)
    assert Image.open(p).mode == "1"
    out = read_image(p)
    assert out.dtype == np.uint8 and out.shape == (17, 23)
    assert_array_equal(out, bits.astype(np.uint8) * 255)


@pytest.mark.parametrize("shape", [(19, 31, 3), (19, 31)])
def test_write_image_round_trips_and_leaves_no_temp_file(tmp_path: Path, shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(5).integers(0, 256, shape, dtype=np.uint8)
    target = tmp_path / "sub" / "img.png"
    write_image(target, arr)
    assert_array_equal(read_image(target), arr)
    assert [p.name for p in target.parent.iterdir()] == ["img.png"]
    with Image.open(target) as im:
        assert im.format == "PNG" and im.mode == ("RGB" if len(shape) == 3 else "L")
    # overwriting replaces the file in one step
    write_image(target, 255 - arr)
    assert_array_equal(read_image(target), 255 - arr)
    assert [p.name for p in target.parent.iterdir()] == ["img.png"]
    mode = target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_write_image_failure_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "img.png"
    old = _rgb(6)
    write_image(target, old)

    def broken_save(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        Path(str(fp)).write_bytes(b"\x89PNG partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_image(target, _rgb(7))
    monkeypatch.undo()
    assert_array_equal(read_image(target), old)
    assert [p.name for p in tmp_path.iterdir()] == ["img.png"]


def test_write_image_rejects_non_uint8(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_image(tmp_path / "f.png", np.zeros((4, 4), dtype=np.float64))
    assert list(tmp_path.iterdir()) == []


def test_list_images_is_sorted_and_skips_hidden_and_other_files(tmp_path: Path) -> None:
    for name in ("b.png", "a.jpg", ".hidden.png", "notes.txt", "C.BMP"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_images(tmp_path)] == ["C.BMP", "a.jpg", "b.png"]
    with pytest.raises(DataError):
        list_images(tmp_path / "missing")
