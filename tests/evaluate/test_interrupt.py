"""Ctrl-C in ``srbench eval`` (issue 10): the process exits within 2 s with status 130, worker threads stop at
their next stage, and every group finished before the interrupt is kept, so the same command resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image


def _folder(root: Path, name: str, n: int, size: int) -> Path:
    d = root / name
    d.mkdir()
    rng = np.random.default_rng(len(name))
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(d / f"{name}{i:02d}.png")
    return d


def test_ctrl_c_in_eval_exits_within_2_s_and_keeps_finished_groups(tmp_path: Path) -> None:
    small = _folder(tmp_path, "small", 2, 64)
    big = _folder(tmp_path, "big", 48, 256)  # minutes of FSIM + VIF: still running when Ctrl-C comes
    out = tmp_path / "r.csv"
    cmd = [sys.executable, "-m", "srbench.cli", "eval", "-d", str(small), "-d", str(big), "-m", "bicubic",
           "--metric", "fsim", "--metric", "vif", "--workers", "2", "--batch", "8", "--no-store", "--no-progress",
           "-o", str(out)]  # fmt: skip
    # the default SIGINT disposition in the child: under pytest-xdist the workers ignore SIGINT, and a Python
    # started with SIGINT ignored never raises KeyboardInterrupt
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not out.exists():  # the small dataset's group is written: the big one is being scored
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the first group was never written"
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, "the run finished before it could be interrupted"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    text = " ".join(err.decode().split())
    assert proc.returncode == 130, text
    assert elapsed < 2.0, f"took {elapsed:.2f} s to exit"
    assert "Traceback" not in text and "interrupted" in text and "re-run the same command" in text
    rows = pd.read_csv(out)
    assert set(rows["dataset"]) == {"small"} and len(rows) == 2 and rows["fsim"].notna().all()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # nothing half-written


def test_a_worker_stops_at_its_next_stage_once_the_run_is_interrupted() -> None:
    import pytest

    from srbench.evaluate.timing import Interrupted, Timer

    timer = Timer()
    with timer("degrade"):
        pass
    timer.stop.set()
    with pytest.raises(Interrupted), timer("method"):
        raise AssertionError("the stage must not start")
    assert set(timer.seconds) == {"degrade"}
