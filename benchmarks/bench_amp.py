"""What ``srbench train --amp`` (bf16 autocast) changes: gradient fidelity against float32, and speed.

The ``johnson2016`` recipe trains in float32 by default; ``--amp`` runs the network and the loss under
``torch.autocast(dtype=bfloat16)``. This script measures, on one fixed batch (crops from the first training photos,
the recipe's degradation, a network after ``--warmup`` float32 Adam steps so gradients are not those of the
initialisation), for the pixel and the feature (VGG-16 relu2_2) loss:

* the loss under bf16 against float32 (relative difference);
* the gradient of every network parameter, flattened: cosine similarity and relative L2 error
  ``||g_bf16 - g_fp32|| / ||g_fp32||``;
* seconds per training iteration (forward, backward, Adam step), median of ``--repeat`` after one warm-up, on the
  chosen device (on a CPU, bf16 autocast is usually *slower*: the speed-up is a CUDA tensor-core property).

Usage: ``python benchmarks/bench_amp.py --data ../shared/datasets/bsds200 [--device cpu|cuda] [--scale 4]
[--crop 96] [--batch 4]``. Needs the VGG-16 weights (``$SRBENCH_WEIGHTS``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from srbench.losses.combined import CombinedLoss
from srbench.models.registry import build_model
from srbench.protocol.degradations import DEGRADATIONS
from srbench.train.recipe import TV_WEIGHTS


def batch(data: Path, crop: int, n: int, scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` centre crops of the first photos in ``data`` (HR on [0, 1]) and their LR by the recipe's degradation."""
    files = sorted(p for p in data.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".bmp"))[:n]
    hrs = []
    for f in files:
        a = np.asarray(Image.open(f).convert("RGB"), dtype=np.float64) / 255.0
        top, left = (a.shape[0] - crop) // 2, (a.shape[1] - crop) // 2
        hrs.append(a[top : top + crop, left : left + crop])
    hr = torch.from_numpy(np.stack(hrs)).permute(0, 3, 1, 2).contiguous()
    lr = DEGRADATIONS.get("blur-bicubic")(hr, scale, "double", "symmetric")
    return lr.float(), hr.float()


def grads(
    model: torch.nn.Module, loss_fn: CombinedLoss, lr: torch.Tensor, hr: torch.Tensor, amp: bool
) -> tuple[float, torch.Tensor]:
    model.zero_grad(set_to_none=True)
    with torch.autocast(lr.device.type, dtype=torch.bfloat16, enabled=amp):
        total, _ = loss_fn(model(lr), hr)
    total.float().backward()
    g = torch.cat([p.grad.detach().float().flatten() for p in model.parameters() if p.grad is not None])
    return float(total.detach()), g


def seconds_per_iteration(
    model: torch.nn.Module, loss_fn: CombinedLoss, lr: torch.Tensor, hr: torch.Tensor, amp: bool, repeat: int
) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for i in range(repeat + 1):
        if lr.device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast(lr.device.type, dtype=torch.bfloat16, enabled=amp):
            total, _ = loss_fn(model(lr), hr)
        total.float().backward()
        opt.step()
        if lr.device.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=20, help="float32 Adam steps before measuring")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    dev = torch.device(args.device)
    lr, hr = (t.to(dev) for t in batch(args.data, args.crop, args.batch, args.scale))
    print(f"device {dev}, torch {torch.__version__}, x{args.scale}, crop {args.crop}, batch {args.batch}")
    print()
    print("| loss | loss rel. diff | gradient cosine | gradient rel. L2 error | s/it fp32 | s/it bf16 | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for loss in ("pixel", "feature"):
        torch.manual_seed(0)
        model = build_model("johnson", scale=args.scale).to(dev).train()
        loss_fn = CombinedLoss(
            pixel_weight=1.0 if loss == "pixel" else 0.0,
            feature_weight=1.0 if loss == "feature" else 0.0,
            tv_weight=TV_WEIGHTS["johnson2016"][loss],
        ).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(args.warmup):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(lr), hr)[0].backward()
            opt.step()
        l32, g32 = grads(model, loss_fn, lr, hr, amp=False)
        l16, g16 = grads(model, loss_fn, lr, hr, amp=True)
        cos = float(torch.nn.functional.cosine_similarity(g32, g16, dim=0))
        err = float((g16 - g32).norm() / g32.norm())
        s32 = seconds_per_iteration(model, loss_fn, lr, hr, False, args.repeat)
        s16 = seconds_per_iteration(model, loss_fn, lr, hr, True, args.repeat)
        print(
            f"| {loss} | {abs(l16 - l32) / abs(l32):.2e} | {cos:.4f} | {err * 100:.1f} % | {s32:.3f} | {s16:.3f} | "
            f"{s32 / s16:.2f}x |"
        )


if __name__ == "__main__":
    main()
