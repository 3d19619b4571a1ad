"""The lean SR-folder path (srbench.evaluate.lean) writes the general path's rows, bit for bit, or hands over to it.

Each test runs ``evaluate`` twice on the same files, with ``SRBENCH_LEAN=0`` (the general path) and ``=1``, and
compares the output CSV files: every column but ``created`` (the wall-clock time of writing) must be the same text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from srbench.data.datasets import folder_dataset, resolve_dataset
from srbench.errors import DataError
from srbench.evaluate import EvalRequest, evaluate, lean
from srbench.methods import SrDirMethod
from srbench.protocol.record import Protocol

REPO = Path(__file__).resolve().parents[2]


def _write(folder: Path, images: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in images.items():
        Image.fromarray(arr).save(folder / f"{name}.png")
    return folder


def _noisy(hr: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 6, hr.shape)
    return np.clip(np.rint(hr + noise), 0, 255).astype(np.uint8)


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    """HR images (colour, gray, sizes that need mod-crop, three of one shape) and their noisy SR images."""
    rng = np.random.default_rng(0)
    hr = {
        "a": rng.integers(0, 256, (50, 66, 3), dtype=np.uint8),
        "b": rng.integers(0, 256, (50, 66, 3), dtype=np.uint8),
        "c": rng.integers(0, 256, (50, 66, 3), dtype=np.uint8),
        "gray": rng.integers(0, 256, (43, 61), dtype=np.uint8),
        "wide": rng.integers(0, 256, (37, 90, 3), dtype=np.uint8),
    }
    hr_dir = _write(tmp_path / "hr", hr)
    sr = {k: _noisy(v[: v.shape[0] // 4 * 4, : v.shape[1] // 4 * 4], i) for i, (k, v) in enumerate(hr.items())}
    sr["b"] = hr["b"][:48, :64].copy()  # identical: PSNR +inf
    return hr_dir, _write(tmp_path / "sr", sr)


def _run(
    monkeypatch: pytest.MonkeyPatch, lean_on: bool, out: Path, run: Callable[[Path], Any]
) -> tuple[pd.DataFrame, Any]:
    monkeypatch.setenv(lean.ENV, "1" if lean_on else "0")
    result = run(out)
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    return rows.drop(columns=["created"]), result


def _both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Callable[[Path], Any]) -> list[str]:
    """Run both paths, assert equal rows; returns the stage names of the lean run (what it computed)."""
    calls: list[int] = []
    original = lean.evaluate_sr_dirs

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(lean, "evaluate_sr_dirs", spy)
    general, _ = _run(monkeypatch, False, tmp_path / "general.csv", run)
    assert not calls
    fast, result = _run(monkeypatch, True, tmp_path / "lean.csv", run)
    assert calls, "the lean path was not taken"
    assert list(fast.columns) == list(general.columns)
    pd.testing.assert_frame_equal(fast, general)
    return sorted(result.timings)


@pytest.mark.parametrize(
    "protocol",
    [Protocol(), Protocol().replace(y_rounding="float"), Protocol().replace(grayscale="replicate", shave=0)],
    ids=["standard", "float-y", "replicate-noshave"],
)
def test_lean_rows_equal_general_rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, protocol: Protocol) -> None:
    hr_dir, sr_dir = _folders(tmp_path)

    def run(out: Path) -> Any:
        ds = folder_dataset(hr_dir)
        return evaluate(
            EvalRequest([ds], [SrDirMethod(sr_dir)], [4], ["psnr", "ssim", "psnr-rgb"], protocol, output=out, workers=2)
        )

    stages = _both(monkeypatch, tmp_path, run)
    assert "degrade" not in stages and "prepare" not in stages  # nothing made an LR image


def test_lean_rows_equal_general_rows_on_set5_set14(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_datasets: Path
) -> None:
    """Catalogued datasets (Set14 has a grayscale image), two SR folders, the store, and reuse on a second run."""
    from srbench.results.store import ResultStore

    sets = [resolve_dataset(name, shared_datasets) for name in ("set5", "set14")]
    folders = []
    for seed in (1, 2):
        images = {}
        for ds in sets:
            for i, img in enumerate(ds.images):
                a = img.load()
                images[img.id] = _noisy(a[: a.shape[0] // 4 * 4, : a.shape[1] // 4 * 4], 100 * seed + i)
        folders.append(_write(tmp_path / f"sr{seed}", images))
    store_roots = iter([tmp_path / "store-general", tmp_path / "store-lean"])

    def run(out: Path) -> Any:
        store = ResultStore(next(store_roots))
        methods = [SrDirMethod(f, name=f.name) for f in folders]
        first = evaluate(EvalRequest(sets, methods, [4], ["psnr", "ssim"], output=out, store=store))
        again = evaluate(EvalRequest(sets, methods, [4], ["psnr", "ssim"], output=out, store=store))
        assert again.reused_groups == 4 and again.computed_groups == 0
        return first

    _both(monkeypatch, tmp_path, run)


def test_unusual_files_go_to_the_general_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A gray SR file for a colour HR image: the lean path hands over, and the rows are the general path's."""
    hr_dir, sr_dir = _folders(tmp_path)
    a = np.asarray(Image.open(sr_dir / "a.png"))
    Image.fromarray(a[..., 1]).save(sr_dir / "a.png")
    fallbacks: list[str] = []
    original = lean._score_one

    def spy(*args: Any) -> Any:
        try:
            return original(*args)
        except lean.Fallback as exc:
            fallbacks.append(str(exc))
            raise

    monkeypatch.setattr(lean, "_score_one", spy)

    def run(out: Path) -> Any:
        return evaluate(EvalRequest([folder_dataset(hr_dir)], [SrDirMethod(sr_dir)], [4], ["psnr", "ssim"], output=out))

    general, _ = _run(monkeypatch, False, tmp_path / "general.csv", run)
    fast, _ = _run(monkeypatch, True, tmp_path / "lean.csv", run)
    assert fallbacks
    pd.testing.assert_frame_equal(fast, general)


def test_errors_are_the_general_paths(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hr_dir, sr_dir = _folders(tmp_path)
    (sr_dir / "c.png").unlink()
    messages = []
    for flag in ("0", "1"):
        monkeypatch.setenv(lean.ENV, flag)
        with pytest.raises(DataError) as info:
            evaluate(EvalRequest([folder_dataset(hr_dir)], [SrDirMethod(sr_dir)], [4], ["psnr", "ssim"]))
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "1 missing (c)" in messages[0]


@pytest.mark.parametrize(
    ("methods", "metrics", "device", "expected"),
    [
        ("sr", ["psnr", "ssim"], "cpu", True),
        ("sr", ["psnr", "ssim", "fsim"], "cpu", False),
        ("sr", ["psnr"], "cuda", False),
        ("bicubic", ["psnr"], "cpu", False),
    ],
)
def test_applies(tmp_path: Path, methods: str, metrics: Sequence[str], device: str, expected: bool) -> None:
    _, sr_dir = _folders(tmp_path)
    from srbench.methods import resolve_method

    method = SrDirMethod(sr_dir) if methods == "sr" else resolve_method(methods)
    assert lean.applies([method], metrics, Protocol(), device, None, None) is expected
    assert not lean.applies([method], metrics, Protocol().replace(histmatch="rgb"), device, None, None)


def test_constants_are_the_general_paths() -> None:
    from srbench.evaluate.request import SCALES
    from srbench.kernels.scores import gaussian_taps
    from srbench.metrics.ssim import SIGMA, WINDOW, _gaussian_1d
    from srbench.protocol.colour import Y_COEFFS, Y_OFFSET

    assert (lean.Y_COEFFS, lean.Y_OFFSET, lean.SCALES) == (Y_COEFFS, Y_OFFSET, SCALES)
    assert list(gaussian_taps(WINDOW, SIGMA)) == _gaussian_1d(WINDOW, SIGMA, torch.float64, "cpu").tolist()


def test_psnr_db_is_batch_and_device_independent() -> None:
    """PSNR's dB step is done in Python floats: the same bits whatever the batch (torch's log10 is not libm's)."""
    from srbench.kernels.scores import psnr_db
    from srbench.metrics.psnr import psnr

    rng = np.random.default_rng(3)
    a = torch.from_numpy(rng.integers(16, 236, (9, 1, 20, 23)).astype(np.float64))
    b = (a + torch.from_numpy(rng.integers(-20, 21, a.shape).astype(np.float64))).clamp(0, 255)
    batch = psnr(a, b).tolist()
    alone = [psnr(a[i : i + 1], b[i : i + 1]).item() for i in range(len(a))]
    assert batch == alone
    mse = ((a - b) ** 2).flatten(1).mean(1).tolist()
    assert batch == psnr_db(mse, 255.0)
    assert psnr_db([0.0, float("nan"), float("inf")], 255.0)[0] == float("inf")
    assert np.isnan(psnr_db([float("nan")], 255.0)[0]) and psnr_db([float("inf")], 255.0)[0] == float("-inf")


def test_sr_dir_eval_process_imports_no_piq(tmp_path: Path) -> None:
    """``srbench eval --sr-dir DIR --metric psnr --metric ssim`` in a fresh process: the lean path ran, and
    neither piq nor scipy.fft was imported (VIF records piq's version from its metadata; FSIM imports scipy.fft
    when it runs)."""
    hr_dir, sr_dir = _folders(tmp_path)
    out = tmp_path / "rows.csv"
    code = (
        "import sys\n"
        f"sys.argv = ['srbench', 'eval', '-d', {str(hr_dir)!r}, '-s', '4', '--sr-dir', {str(sr_dir)!r}, "
        f"'--metric', 'psnr', '--metric', 'ssim', '--no-store', '-o', {str(out)!r}, '--device', 'cpu', "
        "'--no-progress', '--profile']\n"
        "from srbench.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('IMPORTED', sorted(m for m in ('piq', 'scipy.fft', 'lpips') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop(lean.ENV, None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "IMPORTED []"
    assert "prepare" not in proc.stdout  # the --profile stages of the lean path (no mod-crop/prepare stage)
    assert len(pd.read_csv(out)) == 5
