"""Issue 10, point 6: every user mistake at the edges ends in one line naming the file and the fix, exit status
2, no traceback and nothing half-written. Permissions are simulated (:mod:`srbench.testing.denied`), as root
ignores them."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srbench.data.imageio import list_images, read_image
from srbench.errors import DataError, FileAccessError
from srbench.testing.cli import assert_one_line_error, run_cli
from srbench.testing.denied import deny


def _png16(path: Path, a: np.ndarray) -> Path:
    """A 16-bit PNG written byte by byte (PIL cannot write 16-bit RGB): filter 0 rows, big-endian samples."""
    h, w = a.shape[:2]
    raw = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2 if a.ndim == 3 else 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )
    return path


def _folder(tmp_path: Path, n: int = 2) -> Path:
    d = tmp_path / "hr"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)).save(d / f"im{i}.png")
    return d


@pytest.mark.parametrize("gray", [False, True], ids=["rgb", "gray"])
def test_16_bit_png_is_refused_not_narrowed(tmp_path: Path, gray: bool) -> None:
    shape = (10, 12) if gray else (10, 12, 3)
    p = _png16(tmp_path / "deep.png", np.random.default_rng(1).integers(0, 65536, shape, dtype=np.uint16))
    if not gray:
        assert Image.open(p).mode == "RGB"  # what PIL reports: the reason this needs a check of its own
    with pytest.raises(DataError, match="more than 8 bits") as info:
        read_image(p)
    assert str(p) in str(info.value) and "convert it to 8-bit" in str(info.value)


def test_16_bit_rgb_png_in_a_folder_dataset_ends_eval_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    d = _folder(tmp_path)
    _png16(d / "deep.png", np.random.default_rng(1).integers(0, 65536, (48, 40, 3), dtype=np.uint16))
    args = ["eval", "-d", str(d), "-m", "bicubic", "--metric", "psnr", "--no-store", "--no-progress"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err, "deep.png", "more than 8 bits", "8-bit")


@pytest.mark.parametrize("decoder", ["fast", "pil"])
def test_unreadable_image_is_reported_as_permission_not_corrupt(tmp_path, monkeypatch, decoder: str) -> None:
    if decoder == "pil":
        monkeypatch.setenv("SRBENCH_PNG_DECODER", "pil")
    p = _folder(tmp_path) / "im0.png"
    deny(monkeypatch, read=[p])
    with pytest.raises(FileAccessError) as info:
        read_image(p)
    msg = str(info.value)
    assert msg == f"cannot read {p} (permission denied); fix: chmod a+r {p} (and a+x on the folders above it)"
    assert "corrupt" not in msg


def test_unreadable_folder_is_named_with_the_fix(tmp_path, monkeypatch) -> None:
    d = _folder(tmp_path)
    deny(monkeypatch, read=[d])
    with pytest.raises(FileAccessError, match=f"cannot read {d} \\(permission denied\\); fix: chmod a\\+r"):
        list_images(d)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_eval_on_unreadable_data_ends_in_one_line(tmp_path, monkeypatch, capsys, what: str) -> None:
    d = _folder(tmp_path)
    denied = d / "im1.png" if what == "file" else d
    deny(monkeypatch, read=[denied])
    args = ["eval", "-d", str(d), "-m", "bicubic", "--metric", "psnr", "--no-store", "--no-progress"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot read {denied}", "permission denied", "chmod a+r")
    assert "corrupt" not in err


@pytest.mark.parametrize("option", ["--output", "--store"])
def test_eval_to_an_unwritable_destination_fails_before_any_work(tmp_path, monkeypatch, capsys, option) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    deny(monkeypatch, write=[locked])
    dest = locked / ("r.csv" if option == "--output" else "store")
    args = ["eval", "-d", "demo", "-m", "bicubic", "--metric", "psnr", option, str(dest), "--no-progress"]
    if option == "--output":
        args.append("--no-store")
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot write {dest}", "permission denied", f"chmod u+w {locked}")
    assert list(locked.iterdir()) == []  # no temporary file, no half-made store


def test_eval_output_under_a_file_is_named(tmp_path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    args = ["eval", "-d", "demo", "-m", "bicubic", "--metric", "psnr", "-o", str(blocker / "r.csv"), "--no-store"]
    code, _, err = run_cli([*args, "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot write {blocker / 'r.csv'}", f"{blocker} is a file")


def test_upscale_to_an_unwritable_folder_ends_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    src = _folder(tmp_path) / "im0.png"
    locked = tmp_path / "locked"
    locked.mkdir()
    deny(monkeypatch, write=[locked])
    code, _, err = run_cli(["upscale", str(src), str(locked / "sr.png"), "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot write {locked / 'sr.png'}", "permission denied", f"chmod u+w {locked}")
    assert list(locked.iterdir()) == []


def test_upscale_of_an_unreadable_input_ends_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    src = _folder(tmp_path) / "im0.png"
    deny(monkeypatch, read=[src])
    code, _, err = run_cli(["upscale", str(src), str(tmp_path / "sr.png"), "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot read {src}", "permission denied", "chmod a+r")
    assert not (tmp_path / "sr.png").exists()


def test_an_unanticipated_os_refusal_still_ends_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    from srbench import cli

    def boom(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "somewhere"))

    monkeypatch.setattr(cli, "resolve_data_root", boom)
    code, _, err = run_cli(["eval", "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot access {tmp_path / 'somewhere'}", "permission denied", "chmod u+rw")
