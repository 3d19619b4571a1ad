"""The command line: the main job on the demo set, one-line errors with exit status 2, datasets commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from srbench.testing.cli import assert_one_line_error, run_cli


def test_eval_without_data_root_scores_the_embedded_demo_set(monkeypatch, capsys):
    monkeypatch.delenv("SRBENCH_DATA", raising=False)
    code, out, err = run_cli(["eval", "--metric", "psnr", "--metric", "ssim", "--no-progress"], monkeypatch, capsys)
    assert code == 0, err
    assert "demo dataset" in err
    assert "bicubic" in out and "nearest" in out and "PSNR (dB)" in out


def test_eval_writes_per_image_rows_and_reuses_them(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("SRBENCH_DATA", raising=False)
    out_csv = tmp_path / "r.csv"
    args = ["eval", "-d", "demo", "-m", "bicubic", "--metric", "psnr", "-o", str(out_csv), "--no-progress"]
    code, out1, _ = run_cli(args, monkeypatch, capsys)
    assert code == 0
    rows = pd.read_csv(out_csv)
    assert len(rows) == 5 and set(rows["method"]) == {"bicubic"}
    for col in ("dataset", "scale", "method", "image", "psnr", "ssim", "fsim", "vif", "protocol", "protocol_key"):
        assert col in rows.columns
    code, out2, err2 = run_cli(args, monkeypatch, capsys)
    assert code == 0 and "1 of 1 groups reused" in err2
    assert out1 == out2


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["eval", "-d", "nosuchset"], ["nosuchset"]),
        (["eval", "-d", "demo", "-s", "5"], ["scale 5", "2, 3, 4, 8"]),
        (["eval", "-d", "set5"], ["set5", "--data-root"]),
        (["eval", "-d", "demo", "-m", "nosuchmethod"], ["nosuchmethod", "bicubic"]),
        (["eval", "-d", "demo", "--metric", "nosuchmetric"], ["nosuchmetric", "psnr"]),
        (["eval", "-d", "demo", "--protocol", "nosuchprotocol"], ["nosuchprotocol", "standard"]),
        (["eval", "-d", "demo", "--device", "cuda:7"], ["cuda"]),
    ],
)
def test_user_mistakes_end_in_one_line_and_status_2(args, needles, monkeypatch, capsys):
    monkeypatch.delenv("SRBENCH_DATA", raising=False)
    if "cuda:7" in args:
        import torch

        if torch.cuda.is_available():
            pytest.skip("CUDA present: the device exists")
    code, _, err = run_cli([*args, "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, *needles)


def test_corrupt_image_in_a_folder_dataset_is_named(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "hr"
    folder.mkdir()
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(folder / "good.png")
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    code, _, err = run_cli(["eval", "-d", str(folder), "-m", "bicubic", "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, "bad.png", "corrupt")


def test_rgba_image_is_refused_with_the_fix(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "hr"
    folder.mkdir()
    Image.fromarray(np.full((64, 64, 4), 128, np.uint8), "RGBA").save(folder / "alpha.png")
    code, _, err = run_cli(["eval", "-d", str(folder), "-m", "bicubic", "--no-progress"], monkeypatch, capsys)
    assert_one_line_error(code, err, "alpha.png", "alpha", "RGB")


def test_sr_dir_with_missing_and_mis_sized_files_lists_them(tmp_path, monkeypatch, capsys):
    hr = tmp_path / "hr"
    sr = tmp_path / "sr"
    hr.mkdir()
    sr.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b", "c"):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(hr / f"{name}.png")
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(sr / "a.png")
    Image.fromarray(rng.integers(0, 256, (60, 64, 3), dtype=np.uint8)).save(sr / "b.png")
    code, _, err = run_cli(
        ["eval", "-d", str(hr), "--sr-dir", str(sr), "--metric", "psnr", "--no-progress"], monkeypatch, capsys
    )
    assert_one_line_error(code, err, "1 missing (c)", "b.png is 64x60, expected 64x64")


def test_protocols_lists_every_preset_and_key(monkeypatch, capsys):
    code, out, _ = run_cli(["protocols"], monkeypatch, capsys)
    assert code == 0
    for name in ("standard", "uint8-lr", "rcan", "blur-bicubic", "y_rounding", "key"):
        assert name in out


@pytest.mark.shared
def test_datasets_verify_accepts_the_shared_copies(shared_datasets: Path, monkeypatch, capsys):
    code, out, err = run_cli(["datasets", "verify", "--data-root", str(shared_datasets)], monkeypatch, capsys)
    assert code == 0, err
    assert "set5" in out and "bsd100" in out


@pytest.mark.shared
def test_datasets_fetch_from_a_mirror_then_verify(shared_datasets: Path, tmp_path, monkeypatch, capsys):
    root = tmp_path / "data"
    root.mkdir()
    args = ["datasets", "fetch", "set5", "--data-root", str(root), "--mirror", str(shared_datasets), "--no-progress"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    code, _, err = run_cli(["datasets", "verify", "set5", "--data-root", str(root)], monkeypatch, capsys)
    assert code == 0, err
    (root / "set5" / "hr" / "bird.png").write_bytes(b"truncated")
    code, _out, err = run_cli(["datasets", "verify", "set5", "--data-root", str(root)], monkeypatch, capsys)
    assert code == 1 and "bird.png" in err


@pytest.mark.shared
def test_the_issue_command_prints_the_literature_bicubic_numbers(shared_datasets: Path, tmp_path, monkeypatch, capsys):
    """`srbench eval -d set5 -s 4 -m bicubic -o r.csv` prints 28.42 / 0.8104 (VDSR Table 3)."""
    out_csv = tmp_path / "r.csv"
    args = ["eval", "-d", "set5", "-s", "4", "-m", "bicubic", "-o", str(out_csv), "--data-root", str(shared_datasets)]
    code, out, err = run_cli([*args, "--no-progress"], monkeypatch, capsys)
    assert code == 0, err
    assert "28.42" in out and "0.8104" in out
    rows = pd.read_csv(out_csv)
    assert rows[["psnr", "ssim", "fsim", "vif"]].notna().all().all()
