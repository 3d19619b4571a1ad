"""Training: a tiny run learns, resumes bit for bit, stops on NaN, exports usable weights, refuses bad data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import typer
from PIL import Image
from typer.testing import CliRunner

from srbench.commands.train import train_command
from srbench.errors import ConfigError, DataError
from srbench.losses.combined import CombinedLoss
from srbench.methods.model import ModelMethod
from srbench.models.weights import load_weights, read_metadata
from srbench.train import TrainConfig, TrainData, TrainingError, get_recipe, train
from srbench.train.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
LOSS_COLUMNS = ["iteration", "loss", "pixel"]


def _smooth(size: int, seed: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    rng = np.random.default_rng(seed)
    chans = []
    for _ in range(3):
        fx, fy, ph = rng.uniform(0.1, 0.35), rng.uniform(0.1, 0.35), rng.uniform(0, 6.3)
        chans.append(127.5 + 100 * np.sin(fx * xx + ph) * np.cos(fy * yy))
    return np.clip(np.stack(chans, axis=-1), 0, 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four smooth 48x48 images, one of them grayscale (replicated to RGB by the loader)."""
    d = tmp_path_factory.mktemp("train-data")
    for i in range(3):
        Image.fromarray(_smooth(48, i)).save(d / f"img{i}.png")
    Image.fromarray(_smooth(48, 9)[:, :, 0]).save(d / "gray.png")
    return d


def tiny(**changes: object) -> TrainConfig:
    base = TrainConfig(
        arch_kwargs={"channels": 8, "blocks": 1},
        scale=4,
        loss="pixel",
        tv_weight=1e-6,
        crop=32,
        batch_size=4,
        iterations=10,
        val_every=0,
        checkpoint_every=5,
        log_every=3,
        device="cpu",
        recipe="test",
    )
    return base.replace(**changes)


def _fail_at(monkeypatch: pytest.MonkeyPatch, call: int, error: type[BaseException] | None = None) -> None:
    """Make ``CombinedLoss.forward`` return NaN (or raise ``error``) at its ``call``-th call (= iteration)."""
    original = CombinedLoss.forward
    calls = {"n": 0}

    def forward(self: CombinedLoss, y_hat: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict]:
        calls["n"] += 1
        if calls["n"] == call:
            if error is not None:
                raise error("simulated crash")
            total, parts = original(self, y_hat, y)
            return total * float("nan"), parts
        return original(self, y_hat, y)

    monkeypatch.setattr(CombinedLoss, "forward", forward)


# --- learning and outputs ------------------------------------------------------------------------------------


def test_tiny_run_lowers_the_loss_and_writes_its_files(data_dir: Path, tmp_path: Path) -> None:
    result = train(tiny(iterations=25, checkpoint_every=10), [data_dir], tmp_path / "run", progress=False)
    losses = result.history["loss"].to_numpy()
    assert len(losses) == 25 and np.isfinite(losses).all()
    assert losses[-5:].mean() < 0.7 * losses[:5].mean()
    log = pd.read_csv(tmp_path / "run" / "train_log.csv")
    assert log["iteration"].tolist() == list(range(1, 26))
    assert list(log.columns) == ["iteration", "loss", "pixel", "tv", "it_per_s", "elapsed_s"]
    assert np.allclose(log["loss"], log["pixel"] + 1e-6 * log["tv"], rtol=1e-5)
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["iteration"] == 25
    assert result.iterations_per_second > 0 and result.model_path == tmp_path / "run" / "model.safetensors"


def test_exported_weights_reload_and_run(data_dir: Path, tmp_path: Path) -> None:
    result = train(tiny(iterations=4), [data_dir], tmp_path / "run", progress=False)
    assert result.model_path is not None
    model, meta = load_weights(result.model_path)
    assert meta["architecture"] == "johnson" and meta["scale"] == 4 and meta["space"] == "rgb"
    assert meta["arch_kwargs"] == {"scale": 4, "channels": 8, "blocks": 1}
    assert meta["degradation"] == "blur-bicubic@1"
    assert meta["loss"]["type"] == "pixel" and meta["loss"]["tv_weight"] == 1e-6
    assert meta["iterations"] == 4 and meta["seed"] == 0 and meta["recipe"] == "test"
    assert meta["data"] == [str(data_dir)] and meta["device"].startswith("cpu")
    assert meta["wall_time_s"] > 0
    ckpt = load_checkpoint(result.checkpoint_path)
    assert all(torch.equal(v, ckpt["model"][k]) for k, v in model.state_dict().items())
    lr = torch.rand(2, 3, 10, 12, dtype=torch.float64)
    for method in (ModelMethod(model, "tiny", 4), ModelMethod.from_weights(result.model_path)):
        sr = method.upscale(lr, 4, ["a", "b"])
        assert sr.shape == (2, 3, 40, 48) and sr.dtype == torch.float64
        assert float(sr.min()) >= 0.0 and float(sr.max()) <= 1.0


def test_data_is_deterministic_and_degraded_by_the_protocol(data_dir: Path) -> None:
    from srbench.protocol.degradations import DEGRADATIONS

    a, b = TrainData([data_dir], 32, 4, seed=3), TrainData([data_dir], 32, 4, seed=3)
    assert torch.equal(a.hr_batch(5, 6), b.hr_batch(5, 6))
    assert not torch.equal(a.hr_batch(0, 4), TrainData([data_dir], 32, 4, seed=4).hr_batch(0, 4))
    uncached = TrainData([data_dir], 32, 4, seed=3, cache_bytes=0, workers=2)
    assert torch.equal(uncached.hr_batch(5, 6), a.hr_batch(5, 6)) and not uncached._cache
    # every image once per epoch
    assert sorted(a.sample(g)[0] for g in range(4)) == [0, 1, 2, 3]
    hr = a.hr_batch(0, 4)
    assert hr.dtype == torch.uint8 and hr.shape == (4, 3, 32, 32)
    gray = next(i for i, (p, _, _) in enumerate(a.images) if p.name == "gray.png")
    img = a.image(gray)
    assert img.shape == (48, 48, 3) and (img[..., 0] == img[..., 2]).all()
    lr, target = a.degrade(hr)
    expected = DEGRADATIONS.get("blur-bicubic")(hr.to(torch.float64), 4, "double", "symmetric")
    assert lr.dtype == torch.float32 and torch.equal(lr, expected.to(torch.float32))
    assert torch.equal(target, (hr.double() / 255).float())
    # data-parallel shards of one iteration are the single-process batch, split
    first0, n0 = a.batch_samples(3, 4, rank=0, world=2)
    first1, n1 = a.batch_samples(3, 4, rank=1, world=2)
    assert (first0, n0, first1, n1) == (8, 2, 10, 2)
    assert torch.equal(torch.cat([a.hr_batch(first0, n0), a.hr_batch(first1, n1)]), a.hr_batch(8, 4))


# --- resume ----------------------------------------------------------------------------------------------------


def _same_run(a: Path, b: Path) -> None:
    wa, _ = load_weights(a / "model.safetensors")
    wb, _ = load_weights(b / "model.safetensors")
    sa, sb = wa.state_dict(), wb.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    la, lb = pd.read_csv(a / "train_log.csv"), pd.read_csv(b / "train_log.csv")
    assert la["iteration"].tolist() == list(range(1, len(la) + 1))
    pd.testing.assert_frame_equal(la[LOSS_COLUMNS], lb[LOSS_COLUMNS])
    ca, cb = load_checkpoint(a / "checkpoint.pt"), load_checkpoint(b / "checkpoint.pt")
    for (ka, va), (kb, vb) in zip(ca["optimizer"]["state"].items(), cb["optimizer"]["state"].items(), strict=True):
        assert ka == kb and all(torch.equal(va[n], vb[n]) for n in va)
    assert ca["sampler"] == cb["sampler"]


def test_resume_equals_an_uninterrupted_run(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    straight = tmp_path / "straight"
    train(tiny(iterations=10), [data_dir], straight, progress=False)
    # 5 iterations, then 5 more
    split = tmp_path / "split"
    train(tiny(iterations=5), [data_dir], split, progress=False)
    resumed = train(tiny(iterations=10), [data_dir], split, resume=True, progress=False)
    assert resumed.start_iteration == 5 and resumed.iterations == 10
    _same_run(straight, split)
    # a crash at iteration 8 (after the checkpoint at 5, with rows 6-7 already logged), then --resume
    crashed = tmp_path / "crashed"
    with monkeypatch.context() as m:
        _fail_at(m, 8, KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            train(tiny(iterations=10, log_every=1), [data_dir], crashed, progress=False)
    assert pd.read_csv(crashed / "train_log.csv")["iteration"].max() == 7
    train(tiny(iterations=10, log_every=1), [data_dir], crashed, resume=True, progress=False)
    _same_run(straight, crashed)


def test_resume_refuses_mismatches(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(DataError, match="no checkpoint"):
        train(tiny(iterations=2), [data_dir], out, resume=True, progress=False)
    train(tiny(iterations=2), [data_dir], out, progress=False)
    with pytest.raises(ConfigError, match="--resume"):
        train(tiny(iterations=4), [data_dir], out, progress=False)
    with pytest.raises(ConfigError, match=r"lr=0\.001") as info:
        train(tiny(iterations=4, lr=1e-4), [data_dir], out, resume=True, progress=False)
    assert "\n" not in str(info.value)
    other = tmp_path / "other-data"
    other.mkdir()
    Image.fromarray(_smooth(40, 5)).save(other / "x.png")
    with pytest.raises(DataError, match="training images differ"):
        train(tiny(iterations=4), [other], out, resume=True, progress=False)


# --- divergence ------------------------------------------------------------------------------------------------


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    _fail_at(monkeypatch, 7)
    with pytest.raises(TrainingError) as info:
        train(tiny(iterations=12, checkpoint_every=3, log_every=4), [data_dir], out, progress=False)
    msg = str(info.value)
    assert "\n" not in msg and "iteration 7" in msg and "nan" in msg and "checkpoint.pt (iteration 6)" in msg
    ckpt = load_checkpoint(out / "checkpoint.pt")
    assert ckpt["iteration"] == 6
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values() if v.is_floating_point())
    assert not (out / "model.safetensors").exists()
    log = pd.read_csv(out / "train_log.csv")
    assert log["iteration"].max() <= 6 and np.isfinite(log["loss"]).all()


# --- validation ----------------------------------------------------------------------------------------------


def test_validation_rows_and_skip_note(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    val = tmp_path / "val"
    val.mkdir()
    Image.fromarray(_smooth(48, 11)).save(val / "v.png")
    result = train(tiny(iterations=4, val_every=2, val_dataset=str(val)), [data_dir], tmp_path / "a", progress=False)
    rows = pd.read_csv(tmp_path / "a" / "validation.csv")
    assert rows["iteration"].tolist() == [2, 4] and (rows["psnr"] > 5).all() and rows["images"].tolist() == [1, 1]
    assert [r["iteration"] for r in result.validation] == [2, 4]
    capsys.readouterr()
    train(tiny(iterations=2, val_every=1, val_dataset="set5"), [data_dir], tmp_path / "b", progress=False)
    assert "validation skipped" in capsys.readouterr().err
    assert not (tmp_path / "b" / "validation.csv").exists()


# --- bad input -------------------------------------------------------------------------------------------------


def test_bad_training_data_gives_one_line_errors(data_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    small = tmp_path / "small"
    small.mkdir()
    Image.fromarray(_smooth(20, 1)).save(small / "tiny.png")
    broken = tmp_path / "broken"
    broken.mkdir()
    Image.fromarray(_smooth(48, 1)).save(broken / "fine.png")
    (broken / "bad.png").write_bytes(b"this is not a png")
    cases = [
        (empty, str(empty), "no images"),
        (broken, str(broken / "bad.png"), "cannot read image"),
        (tmp_path / "missing", str(tmp_path / "missing"), "not found"),
    ]
    for folder, named, words in cases:
        with pytest.raises(DataError) as info:
            train(tiny(iterations=1), [data_dir, folder], tmp_path / "out", progress=False)
        msg = str(info.value)
        assert "\n" not in msg and named in msg and words in msg, msg
    with pytest.raises(DataError) as info:
        train(tiny(iterations=1), [small], tmp_path / "out", progress=False)
    assert "no training image is at least 32x32" in str(info.value) and str(small) in str(info.value)
    with pytest.raises(ConfigError, match="multiple of the scale"):
        train(tiny(crop=30), [data_dir], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_feature_loss_needs_vgg_weights(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRBENCH_VGG16", raising=False)
    monkeypatch.delenv("SRBENCH_WEIGHTS", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(ConfigError, match="no VGG-16 ImageNet weights") as info:
        train(tiny(loss="feature", iterations=1), [data_dir], tmp_path / "out", progress=False)
    assert "\n" not in str(info.value)


def test_recipe_values() -> None:
    r = get_recipe("johnson2016")
    assert (r.crop, r.batch_size, r.lr, r.betas, r.eps, r.weight_decay) == (288, 4, 1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert (r.iterations, r.feature_layers, r.loss, r.scale) == (200_000, ("relu2_2",), "feature", 4)
    assert r.arch_kwargs == {"channels": 64, "blocks": 4, "upsample": "deconv"}
    with pytest.raises(ConfigError, match="johnson2016"):
        get_recipe("nope")


# --- command line ----------------------------------------------------------------------------------------------


def test_train_command(data_dir: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("train")(train_command)
    app.command("other")(lambda: None)
    out = tmp_path / "cli"
    args = ["train", "--data", str(data_dir), "--output", str(out), "--scale", "4", "--loss", "pixel", "--crop", "32"]
    args += ["--iterations", "2", "--device", "cpu", "--val-every", "0", "--no-progress", "--upsample", "nearest"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    meta = read_metadata(out / "model.safetensors")
    assert meta["arch_kwargs"]["upsample"] == "nearest" and meta["recipe"] == "johnson2016"
    # --resume takes the settings and the data folders from the checkpoint
    more = CliRunner().invoke(app, ["train", "--out", str(out), "--resume", "--iterations", "3", "--no-progress"])
    assert more.exit_code == 0, more.output
    assert read_metadata(out / "model.safetensors")["iterations"] == 3
    bad = CliRunner().invoke(app, ["train", "--data", str(data_dir), "--out", str(tmp_path / "x"), "--loss", "l3"])
    assert isinstance(bad.exception, ConfigError) and "--loss" in str(bad.exception)


# --- data parallel -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ddp_two_processes_write_one_model(data_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "ddp_train.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys
            import torch
            from srbench.train import TrainConfig, train
            torch.set_num_threads(1)
            cfg = TrainConfig(arch_kwargs={{"channels": 8, "blocks": 1}}, loss="pixel", crop=32, batch_size=4,
                              iterations=4, val_every=0, checkpoint_every=2, log_every=2, device="cpu")
            r = train(cfg, [{str(data_dir)!r}], {str(tmp_path / "out")!r}, progress=False)
            # one write per line: two ranks share the pipe (print's separate writes could interleave)
            sys.stdout.write(f"RESULT {{torch.distributed.is_initialized()}} {{r.model_path}} {{len(r.history)}}\\n")
            sys.stdout.flush()
            """
        )
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.pop("SRBENCH_DATA", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = sorted(re.findall(r"RESULT \S+ \S+ \d+", proc.stdout))
    assert len(lines) == 2, proc.stdout
    assert sum("model.safetensors" in line for line in lines) == 1  # only rank 0 writes
    assert all(line.startswith("RESULT False") and line.endswith(" 4") for line in lines)
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["checkpoint.pt", "model.safetensors", "train_log.csv"]
    _, meta = load_weights(tmp_path / "out" / "model.safetensors")
    assert meta["world_size"] == 2 and meta["iterations"] == 4


def test_srcnn_trains_on_bicubic_upscaled_luminance_and_reloads_as_srcnn(data_dir: Path, tmp_path: Path) -> None:
    """SRCNN x8 (the authors released none): Y-space pairs, lower loss, weights that reload as the SRCNN method."""
    from srbench.methods import resolve_method
    from srbench.methods.srcnn import SRCNNMethod
    from srbench.protocol.colour import rgb_to_y
    from srbench.protocol.imresize import imresize
    from srbench.train.loop import to_y_space

    config = get_recipe("srcnn").replace(
        arch_kwargs={"f1": 9, "f2": 1, "f3": 5, "n1": 8, "n2": 4},
        scale=8,
        crop=32,
        batch_size=4,
        iterations=12,
        lr=1e-3,
        val_every=0,
        checkpoint_every=6,
        log_every=3,
        device="cpu",
    )
    # the training pair is the test-time SRCNN input: MATLAB bicubic of the LR luminance, against the HR luminance
    lr = torch.rand(2, 3, 4, 4, dtype=torch.float64)
    hr = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    x, y = to_y_space(lr, hr, 8)
    assert torch.equal(x, imresize(rgb_to_y(lr * 255, "float") / 255, 8))
    assert torch.equal(y, rgb_to_y(hr * 255, "float") / 255)
    result = train(config, [data_dir], tmp_path / "run", progress=False)
    losses = result.history["loss"].to_numpy()
    assert np.isfinite(losses).all() and losses[-3:].mean() < losses[:3].mean()
    meta = read_metadata(tmp_path / "run" / "model.safetensors")
    assert meta["architecture"] == "srcnn" and meta["space"] == "y" and meta["scale"] == 8
    method = resolve_method(str(tmp_path / "run" / "model.safetensors"))
    assert isinstance(method, SRCNNMethod) and method.scale == 8
    assert method.upscale(torch.rand(1, 1, 5, 6, dtype=torch.float64), 8, ["a"]).shape == (1, 1, 40, 48)
    with pytest.raises(ConfigError, match="--loss pixel"):
        config.replace(loss="feature").validate()


def test_images_smaller_than_the_crop_are_skipped_with_a_count(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    for i in range(2):
        Image.fromarray(_smooth(20, i)).save(small / f"tiny{i}.png")
    result = train(tiny(iterations=2, checkpoint_every=0), [data_dir, small], tmp_path / "out", progress=False)
    assert result.iterations == 2
    err = capsys.readouterr().err
    assert "skipped 2 of 6 training images smaller than the 32x32 crop" in " ".join(err.split())


def test_the_johnson2016_tv_weight_follows_the_loss_unless_given(data_dir: Path, tmp_path: Path) -> None:
    """TV about 1 % of the loss: 2e-6 with l_pixel, 2e-3 with l_feat (recipe docstring); --tv-weight wins."""
    from srbench.train.recipe import default_tv_weight

    assert default_tv_weight("johnson2016", "pixel") == pytest.approx(2e-6)
    assert default_tv_weight("johnson2016", "feature") == pytest.approx(2e-3)
    app = typer.Typer()
    app.command("train")(train_command)
    app.command("other")(lambda: None)
    base = ["train", "--data", str(data_dir), "--scale", "4", "--crop", "32", "--iterations", "1", "--device", "cpu"]
    base += ["--val-every", "0", "--no-progress", "--yes"]
    for loss, args, expected in (("pixel", [], 2e-6), ("feature", ["--tv-weight", "0.5"], 0.5)):
        out = tmp_path / f"{loss}-{len(args)}"
        result = CliRunner().invoke(app, [*base, "--loss", loss, "--output", str(out), *args])
        assert result.exit_code == 0, result.output
        assert read_metadata(out / "model.safetensors")["loss"]["tv_weight"] == pytest.approx(expected)
