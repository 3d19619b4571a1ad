"""The training loop: ``train(config, data_dirs, out_dir, resume=False, progress=True) -> TrainResult``.

Files written to ``out_dir`` (by rank 0 only):

* ``train_log.csv``: one row per iteration (``iteration, loss, <components>, it_per_s, elapsed_s``), appended in
  complete lines every ``log_every`` iterations; on resume it is rewritten (atomically) from the checkpoint's
  loss history, so rows of iterations after the checkpoint never survive a crash;
* ``validation.csv``: PSNR / SSIM (Y channel, ``standard`` protocol, :func:`srbench.evaluate.evaluate`) of the
  model on the validation set (default Set5 under the data root) every ``val_every`` iterations and at the end;
  rewritten atomically. Skipped, with a note, when there is no data root;
* ``checkpoint.pt`` every ``checkpoint_every`` iterations and at the end (:mod:`srbench.train.checkpoint`);
* ``model.safetensors`` at the end (:func:`srbench.models.weights.save_weights`, with the training metadata).

Losses are kept on the device and read back every ``log_every`` iterations (one synchronisation per window, not
per step). Every window is checked before it is logged and before any checkpoint: a NaN or Inf loss stops the
run with a one-line :class:`TrainingError` naming the first bad iteration, and the last checkpoint (always made
from finite losses and weights) is kept.

Ctrl-C (SIGINT, single-process runs) is taken at the end of the running iteration: its losses are logged, a
checkpoint is written (also before the first scheduled one), and ``KeyboardInterrupt`` is raised, so
``--resume`` always has something to continue; a second Ctrl-C stops at once. A run that fails before its first
checkpoint removes what it wrote (``train_log.csv``, ``validation.csv``, and the output folder if it made it), so
no half-made run folder is left behind. ``on_estimate`` receives a :class:`RunEstimate` (the run time measured
over the first iterations) before the long part of the run, and may raise to stop it.

``resume=True`` continues from ``checkpoint.pt`` exactly: the sampler is a pure function of the global sample
index, and the model, optimizer, grad scaler and RNG states are restored, so on the CPU a resumed run equals an
uninterrupted one bit for bit.

On CUDA: mixed precision (``torch.autocast``; bf16 by default, which needs no loss scaling; fp16 with a
``GradScaler``), channels-last tensors, fused Adam, cuDNN autotuning (so CUDA runs are not bitwise reproducible).

Data parallel: under ``torchrun`` (``WORLD_SIZE > 1``) the process group is initialised (gloo on the CPU, nccl on
CUDA), the model is wrapped in ``DistributedDataParallel`` (with synchronised batch norm on CUDA, so the batch
statistics are those of the global batch), each rank takes its ``batch_size / world_size`` share of every global
batch, logged losses are averaged over ranks and only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import platform
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from torch import Tensor, nn

from srbench.atomic import atomic_path
from srbench.config import data_root as resolve_data_root
from srbench.device import resolve_device
from srbench.errors import ConfigError, DataError, SrbenchError, access_error
from srbench.losses.combined import CombinedLoss
from srbench.methods.base import Method
from srbench.models.registry import build_model
from srbench.models.weights import save_weights
from srbench.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from srbench.train.data import TrainData
from srbench.train.recipe import RESUMABLE_CHANGES, TrainConfig

CHECKPOINT = "checkpoint.pt"
MODEL = "model.safetensors"
TRAIN_LOG = "train_log.csv"
VALIDATION = "validation.csv"
VAL_METRICS = ("psnr", "ssim")


def to_y_space(lr: Tensor, hr: Tensor, scale: int) -> tuple[Tensor, Tensor]:
    """SRCNN's training pair: (MATLAB-bicubic upscale of the LR luminance, HR luminance), on [0, 1].

    Luminance is BT.601 studio-range Y (``rgb_to_y``, unrounded), as the evaluation protocol uses; the upscale is
    the same ``imresize`` the SRCNN method applies at test time (Dong et al. 2014, section 3.1).
    """
    from srbench.protocol.colour import rgb_to_y
    from srbench.protocol.imresize import imresize

    y_lr = rgb_to_y(lr * 255.0, "float") / 255.0
    y_hr = rgb_to_y(hr * 255.0, "float") / 255.0
    return imresize(y_lr, scale).to(lr.dtype), y_hr.to(hr.dtype)


class TrainingError(SrbenchError):
    """The run cannot go on (for example, the loss became NaN or Inf)."""


@dataclass
class TrainResult:
    """What a run produced. ``model_path`` is ``None`` on ranks other than 0."""

    out_dir: Path
    model_path: Path | None
    checkpoint_path: Path
    iterations: int
    start_iteration: int
    final_loss: float
    history: pd.DataFrame
    validation: list[dict[str, Any]] = field(default_factory=list)
    wall_time_s: float = 0.0
    device: str = "cpu"
    iterations_per_second: float = 0.0


@dataclass(frozen=True)
class RunEstimate:
    """How long the whole run will take on this device, from the first timed iterations (after one warm-up)."""

    seconds: float
    seconds_per_iteration: float
    iterations: int
    device: str
    timed_iterations: int

    def describe(self) -> str:
        return (
            f"estimated run time on {self.device}: {format_duration(self.seconds)} for {self.iterations} "
            f"iterations ({self.seconds_per_iteration:.3g} s per iteration over {self.timed_iterations} timed, "
            "validation not counted)"
        )


def format_duration(seconds: float) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``7 min``, ``12 s``: two units at most."""
    s = round(seconds)
    d, rem = divmod(s, 86400)
    h, rem = divmod(rem, 3600)
    m, sec = divmod(rem, 60)
    if d:
        return f"{d} d {h} h"
    if h:
        return f"{h} h {m} min"
    return f"{m} min" if m else f"{sec} s"


#: iterations timed (after one warm-up iteration) for :class:`RunEstimate`
ESTIMATE_ITERATIONS = 3


class _DeferredInterrupt:
    """Turns the first SIGINT into a request honoured at the end of the running iteration (main thread only)."""

    def __init__(self, enabled: bool) -> None:
        self.requested = False
        self._enabled = enabled and threading.current_thread() is threading.main_thread()
        self._previous: Any = None

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _DeferredInterrupt:
        if self._enabled:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._enabled:
            signal.signal(signal.SIGINT, self._previous)

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Ctrl-C raises at once meanwhile (e.g. while a confirmation prompt waits for the user)."""
        if not self._enabled:
            yield
            return
        signal.signal(signal.SIGINT, self._previous)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self._handler)


def _remove_unfinished_run(out: Path, existed: bool) -> None:
    """After a run failed before its first checkpoint: remove the files it wrote, and ``out`` if it made it."""
    if (out / CHECKPOINT).exists():
        return  # a resumable run: keep everything
    for name in (TRAIN_LOG, VALIDATION):
        with contextlib.suppress(OSError):
            (out / name).unlink()
    if not existed:
        with contextlib.suppress(OSError):
            out.rmdir()  # only if empty: nothing of the user's is ever removed


@dataclass(frozen=True)
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    created: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def _init_distributed(config: TrainConfig) -> tuple[_Dist, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return _Dist(), resolve_device(config.device)
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    device = resolve_device(config.device)
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if config.batch_size % world:
        raise ConfigError(
            f"--batch-size {config.batch_size} cannot be split over {world} processes; use a multiple of {world}"
        )
    created = False
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
        created = True
    return _Dist(dist.get_rank(), dist.get_world_size(), local, created), device


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def _atomic_write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        fh.write(text)


def _csv_text(columns: Sequence[str], rows: Iterator[Sequence[Any]] | list[Sequence[Any]], header: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(columns)
    for row in rows:
        w.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return buf.getvalue()


class _History:
    """The per-iteration loss history (the source of truth for ``train_log.csv``)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.columns = ["iteration", "loss", *names, "it_per_s", "elapsed_s"]
        self.data: dict[str, list[float]] = {c: [] for c in self.columns}

    def __len__(self) -> int:
        return len(self.data["iteration"])

    def add(self, row: Sequence[float]) -> None:
        for c, v in zip(self.columns, row, strict=True):
            self.data[c].append(v)

    def rows(self, start: int = 0) -> Iterator[list[Any]]:
        for i in range(start, len(self)):
            yield [int(self.data["iteration"][i]), *[self.data[c][i] for c in self.columns[1:]]]

    def to_state(self) -> dict[str, Tensor]:
        out = {c: torch.tensor(v, dtype=torch.float64) for c, v in self.data.items() if c != "iteration"}
        out["iteration"] = torch.tensor(self.data["iteration"], dtype=torch.int64)
        return out

    def load_state(self, state: dict[str, Tensor], upto: int) -> None:
        if list(state) and set(state) != set(self.columns):
            raise DataError(
                f"the checkpoint's loss history has columns {sorted(state)}, this run logs {sorted(self.columns)}; "
                "resume with the same loss settings"
            )
        keep = int((state["iteration"] <= upto).sum()) if "iteration" in state else 0
        for c in self.columns:
            vals = state[c][:keep].tolist() if c in state else []
            self.data[c] = [int(v) for v in vals] if c == "iteration" else [float(v) for v in vals]

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.data, columns=self.columns)
        return df.astype({"iteration": "int64"})


def _progress_bar(enabled: bool, console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[ips]} it/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not enabled,
    )


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def _params_finite(model: nn.Module) -> bool:
    tensors = [t for t in _unwrap(model).state_dict().values() if t.is_floating_point()]
    return bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all()) if tensors else True


class _Validator:
    """Validation on a dataset through :func:`srbench.evaluate.evaluate` (standard protocol, PSNR / SSIM)."""

    def __init__(self, config: TrainConfig, device: torch.device, note: Any) -> None:
        from srbench.data.datasets import DATASETS, resolve_dataset

        self.config = config
        self.device = device
        self.dataset = None
        if not config.val_every:
            return
        spec = config.val_dataset
        try:
            root = resolve_data_root(config.data_root)
            if spec.lower() in DATASETS and spec.lower() != "demo" and root is None:
                note(f"validation skipped: no data root for {spec} (pass --data-root or set SRBENCH_DATA)")
                return
            self.dataset = resolve_dataset(spec, root)
        except SrbenchError as exc:
            note(f"validation skipped: {exc}")

    def __call__(self, model: nn.Module, iteration: int) -> dict[str, Any] | None:
        if self.dataset is None:
            return None
        from srbench.evaluate import EvalRequest, evaluate
        from srbench.methods.model import ModelMethod
        from srbench.protocol.record import get_protocol

        net = _unwrap(model)
        t0 = time.perf_counter()
        method: Method
        if self.config.space == "y":
            from srbench.methods.srcnn import SRCNNMethod

            method = SRCNNMethod(net, self.config.scale, f"train@{iteration}", "training", "", dtype=torch.float32)  # type: ignore[arg-type]
        else:
            method = ModelMethod(net, f"train@{iteration}", self.config.scale, "rgb")
        try:
            result = evaluate(
                EvalRequest(
                    [self.dataset], [method], [self.config.scale], VAL_METRICS, get_protocol("standard"), self.device
                )
            )
        finally:
            net.train()
        rows = result.rows
        return {
            "iteration": iteration,
            "dataset": self.dataset.name,
            "scale": self.config.scale,
            "images": len(rows),
            **{m: float(rows[m].mean()) for m in VAL_METRICS},
            "seconds": time.perf_counter() - t0,
        }


def _check_resume(config: TrainConfig, state: dict[str, Any], data: TrainData, ckpt: Path) -> None:
    saved = TrainConfig.from_dict(dict(state["config"]))
    changed = [d for d in saved.differences(config) if d not in RESUMABLE_CHANGES | {"device"}]
    if changed:
        values = ", ".join(f"{k}={getattr(saved, k)!r}" for k in changed)
        raise ConfigError(
            f"{ckpt}: the run was started with {values}; resume with the same settings or choose another --out"
        )
    if int(state["iteration"]) > config.iterations:
        raise ConfigError(
            f"{ckpt}: the checkpoint is at iteration {state['iteration']}, beyond --iterations {config.iterations}; "
            "raise --iterations or choose another --out"
        )
    now = [[Path(p).name, w, h] for p, w, h in data.images]
    before = [list(x) for x in state["data"]["images"]]
    if now != before:
        raise DataError(
            f"{ckpt}: the training images differ from those the run started with ({len(before)} then, {len(now)} "
            "now); resume with the same --data folders and files or choose another --out"
        )
    sampler = state["sampler"]
    if int(sampler["seed"]) != data.seed or int(sampler["n_images"]) != len(data):
        raise DataError(f"{ckpt}: sampler state does not match the data; choose another --out")


def train(
    config: TrainConfig,
    data_dirs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    resume: bool = False,
    progress: bool = True,
    on_estimate: Callable[[RunEstimate], None] | None = None,
) -> TrainResult:
    """Train ``config.model`` on random crops of ``data_dirs``; see the module docstring for files and behaviour.

    Raises:
        ConfigError: invalid settings, an ``out_dir`` that holds another run, resume mismatches.
        DataError: empty folders, unreadable or too small images, a missing or corrupt checkpoint.
        TrainingError: NaN / Inf loss (the last good checkpoint is kept).
    """
    config = TrainConfig.from_dict(config.to_dict()).validate()
    env, device = _init_distributed(config)
    out = Path(out_dir).expanduser()
    existed = out.exists()
    try:
        return _train(config, list(data_dirs), out, resume, progress, env, device, on_estimate)
    except BaseException:
        if env.main:
            _remove_unfinished_run(out, existed)
        raise
    finally:
        if env.created and dist.is_initialized():
            dist.destroy_process_group()


def _train(
    config: TrainConfig,
    data_dirs: list[str | os.PathLike[str]],
    out: Path,
    resume: bool,
    show_progress: bool,
    env: _Dist,
    device: torch.device,
    on_estimate: Callable[[RunEstimate], None] | None = None,
) -> TrainResult:
    t_start = time.perf_counter()
    console = Console(stderr=True)

    def note(message: str) -> None:
        if env.main:
            console.print(f"[dim]{message}[/dim]", markup=True, highlight=False, soft_wrap=True)

    ckpt_path = out / CHECKPOINT
    if not resume and ckpt_path.exists():
        raise ConfigError(
            f"{out}: holds the checkpoint of an earlier run; pass --resume to continue it or choose another --out"
        )
    state = load_checkpoint(ckpt_path) if resume else None
    data = TrainData(data_dirs, config.crop, config.scale, config.seed)
    if data.too_small:
        total = len(data.too_small) + len(data)
        note(
            f"skipped {len(data.too_small)} of {total} training images smaller than the {config.crop}x{config.crop} "
            f"crop (first: {data.too_small[0]}); training on {len(data)}"
        )
    if state is not None:
        _check_resume(config, state, data, ckpt_path)

    cuda = device.type == "cuda"
    amp_dtype = torch.bfloat16 if config.amp_dtype == "bf16" else torch.float16
    if cuda and amp_dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        amp_dtype = torch.float16
    use_amp = config.amp and cuda
    channels_last = config.channels_last and cuda
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if cuda:
        torch.backends.cudnn.benchmark = True

    torch.manual_seed(config.seed)
    random.seed(config.seed)
    np.random.seed(config.seed % (1 << 32))
    model = build_model(config.model, **config.model_kwargs())
    if env.world > 1 and cuda:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.to(device).to(memory_format=memory_format).train()
    criterion = CombinedLoss(
        config.pixel_weight,
        config.feature_weight,
        config.tv_weight,
        config.feature_layers,
        vgg_weights=config.vgg_weights,
        weights_root=config.weights_root,
    )
    criterion = criterion.to(device).to(memory_format=memory_format)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=config.lr,
        betas=config.betas,
        eps=config.eps,
        weight_decay=config.weight_decay,
        fused=True if cuda else None,
    )
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp and amp_dtype == torch.float16)
    history = _History(criterion.names)
    validation: list[dict[str, Any]] = []
    start = 0
    wall_before = 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler.is_enabled() and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        set_rng_state(state["rng"])
        start = int(state["iteration"])
        history.load_state(dict(state["history"]), start)
        validation = [dict(r) for r in state.get("validation", []) if int(r["iteration"]) <= start]
        wall_before = float(state.get("wall_time_s", 0.0))
    if env.world > 1:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)

    validator = _Validator(config, device, note) if env.main else None
    if env.main:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise access_error(out, "write", exc) from None
        _atomic_write_text(out / TRAIN_LOG, _csv_text(history.columns, history.rows(), header=True))
        if validation or (validator is not None and validator.dataset is not None):
            _write_validation(out, validation)

    last_ckpt = start
    names = criterion.names
    window = torch.zeros((config.log_every, 1 + len(names)), dtype=torch.float32, device=device)
    pending = 0  # iterations in ``window`` not yet read back
    t_window = time.perf_counter()
    t_loop = t_window
    log_path = out / TRAIN_LOG
    bar = _progress_bar(show_progress and env.main, console)
    task = bar.add_task(
        f"train {config.model} x{config.scale}", total=config.iterations, completed=start, loss="-", ips="-"
    )

    def save(iteration: int) -> None:
        nonlocal last_ckpt
        if not _params_finite(model):
            raise TrainingError(
                f"the weights hold NaN/Inf at iteration {iteration}; the last good checkpoint {ckpt_path} "
                f"(iteration {last_ckpt}) is kept; lower --lr or use --no-amp, then --resume"
            )
        if env.main:
            payload = {
                "iteration": iteration,
                "model": _unwrap(model).state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if scaler.is_enabled() else {},
                "rng": rng_state(),
                "sampler": data.state(iteration + 1, config.batch_size).to_dict(),
                "config": config.to_dict(),
                "data": {"folders": data.folders, "images": [[p.name, w, h] for p, w, h in data.images]},
                "history": history.to_state(),
                "validation": validation,
                "wall_time_s": wall_before + time.perf_counter() - t_start,
            }
            save_checkpoint(ckpt_path, payload)
        last_ckpt = iteration

    def flush(iteration: int) -> None:
        """Read back the window's losses, check them, log them."""
        nonlocal pending, t_window
        if not pending:
            return
        vals = window[:pending]
        if env.world > 1:
            vals = vals.clone()
            dist.all_reduce(vals)
            vals = vals / env.world
        host = vals.to("cpu", torch.float64)
        now = time.perf_counter()
        ips = pending / max(now - t_window, 1e-9)
        first = iteration - pending + 1
        finite = torch.isfinite(host).all(dim=1)
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0, 0])
            value = host[bad, 0].item()
            where = "no checkpoint was written yet"
            if last_ckpt:
                where = f"the last good checkpoint {ckpt_path} (iteration {last_ckpt}) is kept"
            raise TrainingError(
                f"training diverged: the loss is {value} at iteration {first + bad}; {where}; "
                "lower --lr (or use --no-amp) and --resume, or start again with another --seed"
            )
        elapsed = wall_before + now - t_start
        start_row = len(history)
        for k in range(pending):
            history.add([first + k, *host[k].tolist(), ips, elapsed])
        if env.main:
            with open(log_path, "a", newline="") as fh:
                fh.write(_csv_text(history.columns, list(history.rows(start_row)), header=False))
                fh.flush()
            bar.update(task, completed=iteration, loss=f"{host[-1, 0].item():.4g}", ips=f"{ips:.2f}")
        pending = 0
        t_window = time.perf_counter()

    def fetch(iteration: int) -> Tensor:
        first, count = data.batch_samples(iteration, config.batch_size, env.rank, env.world)
        hr = data.hr_batch(first, count)
        return hr.pin_memory() if cuda else hr

    autocast = torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp)
    done = start
    # on CUDA the next batch is cropped in a thread while the GPU works; on the CPU a thread would only compete
    # with the intra-op threads, so batches are cropped inline
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="srbench-data") if cuda else None
    interrupt = _DeferredInterrupt(env.world == 1)
    warm = start + 1  # timing for the estimate starts after this iteration (warm-up: allocation, autotuning)
    timed = min(ESTIMATE_ITERATIONS, config.iterations - warm)
    t_timing = 0.0
    with bar, pool or contextlib.nullcontext(), interrupt:
        future: Future[Tensor] | None = None
        if pool is not None and start < config.iterations:
            future = pool.submit(fetch, start + 1)
        for it in range(start + 1, config.iterations + 1):
            hr_cpu = future.result() if future is not None else fetch(it)
            if pool is not None:
                future = pool.submit(fetch, it + 1) if it < config.iterations else None
            hr_u8 = hr_cpu.to(device, non_blocking=True)
            lr, hr = data.degrade(hr_u8)
            if config.space == "y":
                lr, hr = to_y_space(lr, hr, config.scale)
            if channels_last:
                lr = lr.contiguous(memory_format=torch.channels_last)
                hr = hr.contiguous(memory_format=torch.channels_last)
            with autocast:
                sr = model(lr)
                loss, parts = criterion(sr, hr)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            window[pending] = torch.stack([loss.detach(), *[parts[n] for n in names]])
            pending += 1
            done = it
            last = it == config.iterations
            do_val = bool(config.val_every) and (it % config.val_every == 0 or last)
            do_ckpt = last or (bool(config.checkpoint_every) and it % config.checkpoint_every == 0)
            if pending == config.log_every or do_val or do_ckpt:
                flush(it)
            if do_val and validator is not None:
                row = validator(model, it)
                if row is not None:
                    validation.append(row)
                    _write_validation(out, validation)
                    note(
                        f"iteration {it}: {row['dataset']} x{row['scale']} PSNR {row['psnr']:.3f} dB SSIM "
                        f"{row['ssim']:.4f}"
                    )
            if do_ckpt:
                save(it)
            if do_val or do_ckpt:
                t_window = time.perf_counter()
            if on_estimate is not None and env.main and timed > 0 and it in (warm, warm + timed):
                if cuda:
                    torch.cuda.synchronize(device)
                if it == warm:
                    t_timing = time.perf_counter()
                else:
                    per_it = (time.perf_counter() - t_timing) / timed
                    estimate = RunEstimate(
                        per_it * (config.iterations - start), per_it, config.iterations - start,
                        _device_name(device), timed,
                    )  # fmt: skip
                    bar.stop()
                    with interrupt.suspended():  # may raise (declined, Ctrl-C): the run is removed, nothing saved
                        on_estimate(estimate)
                    bar.start()
                    t_window = time.perf_counter()
            if interrupt.requested:
                flush(it)
                if last_ckpt != it:
                    save(it)
                raise KeyboardInterrupt
        flush(done)
    loop_s = time.perf_counter() - t_loop
    if done == start and start and env.main:
        note(f"the checkpoint is already at iteration {start} = --iterations; exporting the model")

    model_path: Path | None = None
    wall = wall_before + time.perf_counter() - t_start
    if env.main:
        if not _params_finite(model):  # pragma: no cover - caught by save() already
            raise TrainingError(f"the weights hold NaN/Inf at iteration {done}; {ckpt_path} is kept")
        model_path = out / MODEL
        metadata = {
            "architecture": config.model,
            "arch_kwargs": config.model_kwargs(),
            "scale": config.scale,
            "space": config.space,
            "loss": {"type": config.loss, **criterion.describe()},
            "degradation": data.degradation.id,
            "recipe": config.recipe,
            "iterations": done,
            "data": data.folders,
            "training_images": len(data),
            "seed": config.seed,
            "crop": config.crop,
            "batch_size": config.batch_size,
            "optimizer": {
                "name": "adam",
                "lr": config.lr,
                "betas": list(config.betas),
                "eps": config.eps,
                "weight_decay": config.weight_decay,
            },
            "amp": str(amp_dtype).replace("torch.", "") if use_amp else "off",
            "world_size": env.world,
            "wall_time_s": round(wall, 3),
            "device": _device_name(device),
        }
        save_weights(model_path, _unwrap(model), metadata)
    if env.world > 1:
        dist.barrier()
    trained = done - start
    return TrainResult(
        out_dir=out,
        model_path=model_path,
        checkpoint_path=ckpt_path,
        iterations=done,
        start_iteration=start,
        final_loss=history.data["loss"][-1] if len(history) else math.nan,
        history=history.frame(),
        validation=validation,
        wall_time_s=wall,
        device=_device_name(device),
        iterations_per_second=trained / loop_s if trained and loop_s > 0 else 0.0,
    )


def _write_validation(out: Path, rows: list[dict[str, Any]]) -> None:
    columns = ["iteration", "dataset", "scale", "images", *VAL_METRICS, "seconds"]
    _atomic_write_text(out / VALIDATION, _csv_text(columns, [[r[c] for c in columns] for r in rows], header=True))
