"""``srbench eval --sr-dir DIR --metric psnr --metric ssim --device cpu`` imports no torch (issue 12).

The lean path (:mod:`srbench.evaluate.lean`) scores SR folders with numpy and the compiled kernels; importing
torch alone takes seconds, so the command line, the modules it imports and the lean path import torch only when
the run needs it. Each run is the real command line in a fresh interpreter (this test process has long imported
torch), on a tiny folder dataset made here (no shared data needed). The controls, the same command through the
general path, do import torch: the check is not vacuous, and their rows are the lean run's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import srbench

ROOT = Path(srbench.__file__).resolve().parents[1]

#: run in a fresh interpreter: the console script's entry point with the arguments given; prints whether torch
#: (and the modules that would mean the general path ran) were imported
CODE = """
import json, sys
from srbench.cli import main
sys.argv = ["srbench", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
mods = ["torch", "srbench.evaluate.plan", "srbench.metrics.fsim", "srbench.methods.classic"]
print(json.dumps({m: m in sys.modules for m in mods}))
"""


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(3)
    hr_dir, sr_dir = tmp_path / "hr" / "tiny", tmp_path / "sr"
    hr_dir.mkdir(parents=True)
    sr_dir.mkdir()
    for name, shape in {"a": (56, 56, 3), "b": (64, 56, 3), "g": (56, 60)}.items():  # FSIM: 48 x 48 after shave
        hr = rng.integers(0, 256, shape, dtype=np.uint8)
        Image.fromarray(hr).save(hr_dir / f"{name}.png")
        noise = rng.integers(-6, 7, shape)
        Image.fromarray(np.clip(hr.astype(int) + noise, 0, 255).astype(np.uint8)).save(sr_dir / f"{name}.png")
    return hr_dir, sr_dir


def _eval(args: list[str], lean: bool = True) -> dict[str, bool]:
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "COLUMNS": "120", "SRBENCH_LEAN": "1" if lean else "0"}
    env.pop("SRBENCH_KERNELS", None)  # the compiled kernels on (the lean path needs them)
    proc = subprocess.run(
        [sys.executable, "-c", CODE, json.dumps(args)], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _args(hr_dir: Path, sr_dir: Path, out: Path, *extra: str) -> list[str]:
    return [
        "eval", "-d", str(hr_dir), "-s", "4", "--sr-dir", str(sr_dir), "--metric", "psnr", "--metric", "ssim",
        "--no-store", "-o", str(out), "--device", "cpu", "--no-progress", *extra,
    ]  # fmt: skip


def _rows(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns=["created"])


def test_lean_eval_imports_no_torch_and_the_general_path_does(tmp_path: Path) -> None:
    hr_dir, sr_dir = _folders(tmp_path)
    lean_csv, general_csv = tmp_path / "lean.csv", tmp_path / "general.csv"

    found = _eval(_args(hr_dir, sr_dir, lean_csv))
    assert found == dict.fromkeys(found, False), f"the lean eval run imported {found}"
    rows = _rows(lean_csv)
    assert sorted(rows["image"]) == ["a", "b", "g"] and set(rows["device"]) == {"cpu"}
    assert all(float(v) > 20 for v in rows["psnr"]) and all(0 < float(v) <= 1 for v in rows["ssim"])

    # control: the same command on the general path (SRBENCH_LEAN=0) imports torch and writes the same rows
    found = _eval(_args(hr_dir, sr_dir, general_csv), lean=False)
    assert found["torch"] and found["srbench.evaluate.plan"]
    pd.testing.assert_frame_equal(_rows(general_csv), rows)


def test_the_default_device_takes_the_lean_path_without_torch_on_a_machine_without_gpu(tmp_path: Path) -> None:
    """``--device auto`` (the default): no GPU driver on this Linux machine, so the run is the CPU's lean one."""
    from srbench.device import gpu_driver_present

    hr_dir, sr_dir = _folders(tmp_path)
    args = _args(hr_dir, sr_dir, tmp_path / "auto.csv")
    i = args.index("--device")
    found = _eval(args[:i] + args[i + 2 :])
    rows = _rows(tmp_path / "auto.csv")
    assert set(rows["device"]) == {"cpu"} and len(rows) == 3
    if not gpu_driver_present():  # a machine with a GPU driver asks torch whether CUDA is there
        assert found == dict.fromkeys(found, False), f"the default-device lean run imported {found}"


@pytest.mark.parametrize(
    ("extra", "imported"),
    [(["-m", "bicubic"], "srbench.methods.classic"), (["--metric", "fsim"], "srbench.metrics.fsim")],
    ids=["registered-method", "other-metric"],
)
def test_a_run_that_needs_torch_imports_it(tmp_path: Path, extra: list[str], imported: str) -> None:
    """A registered method or a metric outside PSNR/SSIM takes the general path, with torch."""
    hr_dir, sr_dir = _folders(tmp_path)
    found = _eval(_args(hr_dir, sr_dir, tmp_path / "rows.csv", *extra))
    assert found["torch"] and found["srbench.evaluate.plan"] and found[imported]
