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

This module is the loop itself; its parts live beside it: :mod:`srbench.train.distributed` (process group,
device), :mod:`srbench.train.history` (the loss history, ``train_log.csv``), :mod:`srbench.train.validation`
(``validation.csv``), :mod:`srbench.train.estimate` (:class:`RunEstimate`), :mod:`srbench.train.interrupt`
(deferred Ctrl-C), :mod:`srbench.train.resume` (does a checkpoint fit this run) and
:mod:`srbench.train.checkpoint` (the checkpoint file).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from collections.abc import Callable, Sequence
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

from srbench.errors import ConfigError, SrbenchError, access_error
from srbench.losses.combined import CombinedLoss
from srbench.models.registry import build_model
from srbench.models.weights import save_weights
from srbench.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from srbench.train.data import TrainData
from srbench.train.distributed import Dist, device_name, init_distributed, unwrap
from srbench.train.estimate import ESTIMATE_ITERATIONS, RunEstimate
from srbench.train.history import TRAIN_LOG, History, atomic_write_text, csv_text
from srbench.train.interrupt import DeferredInterrupt
from srbench.train.recipe import TrainConfig
from srbench.train.resume import check_resume
from srbench.train.validation import VALIDATION, Validator, write_validation

CHECKPOINT = "checkpoint.pt"
MODEL = "model.safetensors"


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


def _params_finite(model: nn.Module) -> bool:
    tensors = [t for t in unwrap(model).state_dict().values() if t.is_floating_point()]
    return bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all()) if tensors else True


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
    env, device = init_distributed(config)
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
    env: Dist,
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
        check_resume(config, state, data, ckpt_path)

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
    history = History(criterion.names)
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

    validator = Validator(config, device, note) if env.main else None
    if env.main:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise access_error(out, "write", exc) from None
        atomic_write_text(out / TRAIN_LOG, csv_text(history.columns, history.rows(), header=True))
        if validation or (validator is not None and validator.dataset is not None):
            write_validation(out, validation)

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
                "model": unwrap(model).state_dict(),
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
                fh.write(csv_text(history.columns, list(history.rows(start_row)), header=False))
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
    interrupt = DeferredInterrupt(env.world == 1)
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
                    write_validation(out, validation)
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
                        device_name(device), timed,
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
            "device": device_name(device),
        }
        save_weights(model_path, unwrap(model), metadata)
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
        device=device_name(device),
        iterations_per_second=trained / loop_s if trained and loop_s > 0 else 0.0,
    )
