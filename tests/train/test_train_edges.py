"""``srbench train`` at the edges (issue 10): Ctrl-C saves a resumable checkpoint first, a failed run leaves no
half-made folder, the recipe and a measured run-time estimate come first (a long CPU run needs --yes), and the
output option is ``--output/-o`` like everywhere else (``--out`` still works)."""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from srbench.losses.combined import CombinedLoss
from srbench.testing.cli import assert_one_line_error, run_cli
from srbench.testing.denied import deny
from srbench.train import RunEstimate, TrainConfig, TrainingError, train
from srbench.train.checkpoint import load_checkpoint

TINY = ["--scale", "4", "--loss", "pixel", "--crop", "32", "--batch-size", "2", "--device", "cpu", "--val-every", "0"]
TINY += ["--no-progress"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("train-data")
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(d / f"img{i}.png")
    return d


def tiny(**changes: object) -> TrainConfig:
    base = TrainConfig(
        arch_kwargs={"channels": 8, "blocks": 1}, scale=4, loss="pixel", tv_weight=1e-6, crop=32, batch_size=2,
        iterations=8, val_every=0, checkpoint_every=100, log_every=3, device="cpu", recipe="test",
    )  # fmt: skip
    return base.replace(**changes)


def _at_call(monkeypatch: pytest.MonkeyPatch, call: int, action: str) -> None:
    """At the ``call``-th loss evaluation (= iteration): deliver a real SIGINT, or make the loss NaN."""
    original = CombinedLoss.forward
    calls = {"n": 0}

    def forward(self: CombinedLoss, y_hat: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict]:
        calls["n"] += 1
        total, parts = original(self, y_hat, y)
        if calls["n"] == call:
            if action == "sigint":
                signal.raise_signal(signal.SIGINT)  # what Ctrl-C sends; handled at the end of the iteration
            else:
                total = total * float("nan")
        return total, parts

    monkeypatch.setattr(CombinedLoss, "forward", forward)


def test_ctrl_c_before_the_first_checkpoint_saves_one_that_resumes_exactly(data_dir, tmp_path, monkeypatch) -> None:
    straight = train(tiny(), [data_dir], tmp_path / "straight", progress=False)
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _at_call(m, 3, "sigint")
        with pytest.raises(KeyboardInterrupt):
            train(tiny(), [data_dir], out, progress=False)  # checkpoint_every=100: none was due yet
    assert load_checkpoint(out / "checkpoint.pt")["iteration"] == 3
    assert pd.read_csv(out / "train_log.csv")["iteration"].tolist() == [1, 2, 3]
    resumed = train(tiny(), [data_dir], out, resume=True, progress=False)
    assert resumed.start_iteration == 3 and resumed.iterations == 8
    assert np.array_equal(resumed.history["loss"].to_numpy(), straight.history["loss"].to_numpy())


def test_ctrl_c_in_the_command_prints_a_resume_hint_that_works(data_dir, tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "run"
    with monkeypatch.context() as m:
        _at_call(m, 2, "sigint")
        args = ["train", "--data", str(data_dir), "-o", str(out), *TINY, "--iterations", "4"]
        code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 130 and "Traceback" not in err
    hint = f"srbench train --output {out} --resume"
    assert hint in " ".join(err.split())
    code, _, err = run_cli([*hint.split()[1:], "--no-progress"], monkeypatch, capsys)
    assert code == 0, err
    assert load_checkpoint(out / "checkpoint.pt")["iteration"] == 4 and (out / "model.safetensors").is_file()


@pytest.mark.parametrize("existed", [False, True], ids=["new-folder", "existing-folder"])
def test_a_run_that_fails_before_its_first_checkpoint_leaves_nothing(data_dir, tmp_path, monkeypatch, existed) -> None:
    out = tmp_path / "run"
    if existed:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    _at_call(monkeypatch, 2, "nan")
    with pytest.raises(TrainingError, match="no checkpoint was written yet"):
        train(tiny(log_every=1), [data_dir], out, progress=False)
    if existed:
        assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # the user's file stays, ours are gone
    else:
        assert not out.exists()


def test_the_estimate_is_measured_before_the_long_part_of_the_run(data_dir, tmp_path) -> None:
    seen: list[RunEstimate] = []
    train(tiny(iterations=10), [data_dir], tmp_path / "run", progress=False, on_estimate=seen.append)
    assert len(seen) == 1
    est = seen[0]
    assert est.iterations == 10 and est.timed_iterations == 3 and est.device.startswith("cpu")
    assert est.seconds == pytest.approx(10 * est.seconds_per_iteration) and est.seconds > 0
    assert "estimated run time on cpu" in est.describe()


def test_a_cpu_run_over_an_hour_needs_yes_and_leaves_nothing(data_dir, tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "run"
    args = ["train", "--data", str(data_dir), "--output", str(out), *TINY, "--iterations", "50000000"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err.split("\n", 2)[-1], "on the CPU", "pass --yes")
    text = " ".join(err.split())
    assert "recipe johnson2016: johnson x4" in text and "crop 32" in text and "50000000 iterations" in text
    assert "estimated run time on cpu" in text
    assert not out.exists()


def test_out_is_still_accepted_as_the_old_name_of_output(data_dir, tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "--data", str(data_dir), "--out", str(out), *TINY, "--iterations", "1"],
                           monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    assert (out / "model.safetensors").is_file()


def test_train_to_an_unwritable_output_ends_in_one_line(data_dir, tmp_path, monkeypatch, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    deny(monkeypatch, write=[locked])
    args = ["train", "--data", str(data_dir), "-o", str(locked / "run"), *TINY, "--iterations", "1"]
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert_one_line_error(code, err, f"cannot write {locked / 'run'}", "permission denied", f"chmod u+w {locked}")
    assert list(locked.iterdir()) == []


def test_train_help_shows_the_recipe_defaults_and_the_trainable_models(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(["train", "--help"], monkeypatch, capsys)
    text = " ".join(out.replace("│", " ").split())
    assert code == 0
    for needle in ("--output", "johnson2016: 288", "srcnn: 96", "johnson2016: 200000", "johnson, srcnn", "auto"):
        assert needle in text, needle
    assert "<list" not in text and "--out " not in text


@pytest.fixture
def terminal_sigint():  # type: ignore[no-untyped-def]
    """Python's own Ctrl-C handler, as in a terminal (a shell's background job starts with SIGINT ignored)."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def test_ctrl_c_at_the_confirmation_prompt_stops_at_once_and_leaves_nothing(
    data_dir, tmp_path, terminal_sigint
) -> None:
    def prompt(estimate: RunEstimate) -> None:
        signal.raise_signal(signal.SIGINT)  # the user answers the question with Ctrl-C
        raise AssertionError("Ctrl-C at the prompt must stop the run at once")

    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(tiny(), [data_dir], out, progress=False, on_estimate=prompt)
    assert not out.exists()
