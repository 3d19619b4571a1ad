"""A failed ``srbench study create`` leaves no half-made study folder (issue 10), and an unwritable folder is
refused in one line before any image is made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srbench.testing.cli import assert_one_line_error, run_cli
from srbench.testing.denied import deny


def _hr_folder(tmp_path: Path) -> Path:
    d = tmp_path / "hr"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(d / f"a{i}.png")
    (d / "b_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")  # fails after a0, a1 were written
    return d


@pytest.mark.parametrize("existed", [False, True], ids=["new-folder", "existing-empty-folder"])
def test_a_failed_create_removes_what_it_wrote(tmp_path, monkeypatch, capsys, existed: bool) -> None:
    study = tmp_path / "st"
    if existed:
        study.mkdir()
    args = ["study", "create", str(study), "-d", str(_hr_folder(tmp_path)), "-s", "4", "-m", "bicubic", "-m", "nearest"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err, "b_broken.png", "corrupt")
    if existed:
        assert list(study.iterdir()) == []
    else:
        assert not study.exists()


def test_create_into_an_unwritable_folder_ends_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    deny(monkeypatch, write=[locked])
    code, _, err = run_cli(
        ["study", "create", str(locked / "st"), "-m", "bicubic", "-m", "nearest"], monkeypatch, capsys
    )
    assert_one_line_error(code, err, f"cannot write {locked / 'st'}", "permission denied", f"chmod u+w {locked}")
    assert list(locked.iterdir()) == []
