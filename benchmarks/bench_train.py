"""Speed of ``srbench train``'s loop against a plain PyTorch loop of the same work, measured in the same run.

Both loops train the same network (same seed), on random HR crops of the same images, degraded on the fly with
the same ``blur-bicubic`` protocol, with the same loss, batch, crop, Adam settings and (on CUDA) the same autocast
and channels-last settings. The plain loop is what one would write by hand: crops from tensors in memory, no
logging, no NaN checks, no progress bar, no checkpoints. srbench's loop runs through :func:`srbench.train.train`
(loss read-back and NaN check every ``--log-every`` iterations, CSV log, rich progress off, one checkpoint and
the export at the end).

Iterations/s are steady-state: the first ``--warmup`` iterations (one-time costs: allocator, cuDNN autotuning)
are left out of both. Setup and the final checkpoint/export are reported separately as end-to-end wall time.
Target: srbench's steady-state overhead <= 10 %.

Usage::

    python benchmarks/bench_train.py                      # crop 96, 30 iterations, pixel loss, auto device
    python benchmarks/bench_train.py --full               # the johnson2016 recipe sizes: crop 288, 200 iterations
    python benchmarks/bench_train.py --loss feature --vgg-weights ../shared/weights/vgg16/vgg16_features.pth

Training images: ``--data DIR`` (repeatable), else ``<data root>/bsds200`` (481 x 321 photos) when present
(data root ``$SRBENCH_DATA`` or ``../shared/datasets``), else synthetic images written to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from srbench.device import resolve_device
from srbench.losses.combined import CombinedLoss
from srbench.models.registry import build_model
from srbench.train import TrainConfig, TrainData, train
from srbench.train.recipe import get_recipe


def _default_data() -> list[Path]:
    root = Path(os.environ.get("SRBENCH_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "datasets"))
    bsds = root / "bsds200"
    return [bsds] if bsds.is_dir() else []


def _synthetic(folder: Path, n: int, size: int) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for i in range(n):
        f = rng.uniform(0.02, 0.2, size=(3, 2))
        img = np.stack([127.5 + 100 * np.sin(f[c, 0] * xx + c) * np.cos(f[c, 1] * yy) for c in range(3)], -1)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"s{i:03d}.png")
    return folder


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def plain_loop(cfg: TrainConfig, data: TrainData, device: torch.device, warmup: int) -> tuple[float, float]:
    """A hand-written loop: returns (steady-state it/s, end-to-end seconds including setup)."""
    t_setup = time.perf_counter()
    cuda = device.type == "cuda"
    use_amp = cfg.amp and cuda
    amp_dtype = torch.bfloat16 if cfg.amp_dtype == "bf16" else torch.float16
    fmt = torch.channels_last if (cfg.channels_last and cuda) else torch.contiguous_format
    if cuda:
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, **cfg.model_kwargs()).to(device).to(memory_format=fmt).train()
    loss_fn = CombinedLoss(
        cfg.pixel_weight, cfg.feature_weight, cfg.tv_weight, cfg.feature_layers, cfg.vgg_weights, cfg.weights_root
    )
    loss_fn = loss_fn.to(device).to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, fused=True if cuda else None)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp and amp_dtype == torch.float16)
    images = [torch.from_numpy(np.array(data.image(i))).permute(2, 0, 1).contiguous() for i in range(len(data))]
    gen = torch.Generator().manual_seed(cfg.seed)
    c = cfg.crop
    t0 = time.perf_counter()
    for it in range(cfg.iterations):
        if it == warmup:
            _sync(device)
            t0 = time.perf_counter()
        crops = []
        for _ in range(cfg.batch_size):
            img = images[int(torch.randint(len(images), (1,), generator=gen))]
            top = int(torch.randint(img.shape[1] - c + 1, (1,), generator=gen))
            left = int(torch.randint(img.shape[2] - c + 1, (1,), generator=gen))
            crops.append(img[:, top : top + c, left : left + c])
        hr_u8 = torch.stack(crops).to(device, non_blocking=True)
        lr, hr = data.degrade(hr_u8)
        lr, hr = lr.contiguous(memory_format=fmt), hr.contiguous(memory_format=fmt)
        with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
            loss, _ = loss_fn(model(lr), hr)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    _sync(device)
    end = time.perf_counter()
    return (cfg.iterations - warmup) / (end - t0), end - t_setup


def srbench_loop(cfg: TrainConfig, folders: list[Path], out: Path, warmup: int) -> tuple[float, float]:
    """``srbench.train.train``: returns (steady-state it/s from the log's flush times, end-to-end seconds)."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    train(cfg, folders, out, progress=False)
    wall = time.perf_counter() - t0
    log = pd.read_csv(out / "train_log.csv")
    at = log.set_index("iteration")["elapsed_s"]
    return (cfg.iterations - warmup) / (at[cfg.iterations] - at[warmup]), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", type=Path, help="training image folder (repeatable)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--full", action="store_true", help="recipe sizes: crop 288, 200 iterations")
    ap.add_argument("--crop", type=int, default=None, help="default 96 (288 with --full)")
    ap.add_argument("--iterations", type=int, default=None, help="default 30 (200 with --full)")
    ap.add_argument("--warmup", type=int, default=None, help="iterations left out of it/s (default: log-every)")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--loss", choices=("pixel", "feature"), default="pixel")
    ap.add_argument("--vgg-weights", default=None)
    ap.add_argument("--no-amp", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=1, help="alternate the two loops this many times; best of each")
    args = ap.parse_args()

    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    crop = args.crop or (288 if args.full else 96)
    iterations = args.iterations or (200 if args.full else 30)
    warmup = args.warmup if args.warmup is not None else args.log_every
    if warmup % args.log_every or warmup >= iterations:
        ap.error("--warmup must be a multiple of --log-every and smaller than --iterations")
    tmp = Path(tempfile.mkdtemp(prefix="srbench-bench-train-"))
    try:
        folders = args.data or _default_data() or [_synthetic(tmp / "data", 16, max(2 * crop, 192))]
        cfg = get_recipe("johnson2016").replace(
            loss=args.loss,
            crop=crop,
            batch_size=args.batch_size,
            iterations=iterations,
            val_every=0,
            checkpoint_every=0,
            log_every=args.log_every,
            device=str(device),
            amp=not args.no_amp,
            vgg_weights=args.vgg_weights,
            recipe="bench",
        )
        data = TrainData(folders, cfg.crop, cfg.scale, cfg.seed)
        if device.type == "cuda":
            dev_name = f"GPU {torch.cuda.get_device_name(device)} (amp {'off' if args.no_amp else cfg.amp_dtype})"
        else:
            dev_name = f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"
        print(f"device: {dev_name}; torch {torch.__version__}")
        print(
            f"johnson x{cfg.scale} {cfg.arch_kwargs}, loss {cfg.loss}, batch {cfg.batch_size}, crop {cfg.crop}, "
            f"{iterations} iterations ({warmup} warm-up), {len(data)} images from {', '.join(map(str, folders))}"
        )
        plain_best, ours_best = 0.0, 0.0
        plain_wall, ours_wall = 0.0, 0.0
        for r in range(args.repeats):
            p_ips, p_wall = plain_loop(cfg, data, device, warmup)
            o_ips, o_wall = srbench_loop(cfg, folders, tmp / "out", warmup)
            print(f"  run {r + 1}: plain {p_ips:.3f} it/s, srbench {o_ips:.3f} it/s")
            if p_ips > plain_best:
                plain_best, plain_wall = p_ips, p_wall
            if o_ips > ours_best:
                ours_best, ours_wall = o_ips, o_wall
        overhead = 100.0 * (plain_best / ours_best - 1.0)
        print(f"plain PyTorch loop: {plain_best:.3f} it/s (end to end {plain_wall:.1f} s incl. setup)")
        print(
            f"srbench train loop: {ours_best:.3f} it/s (end to end {ours_wall:.1f} s incl. setup, "
            "final checkpoint and export)"
        )
        verdict = "OK" if overhead <= 10.0 else "ABOVE TARGET"
        print(f"overhead: {overhead:+.1f} % (time per iteration, srbench vs plain; target <= 10 %) {verdict}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
