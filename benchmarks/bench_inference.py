"""Inference speed of every model, in milliseconds per output megapixel, on the CPU (and CUDA when present).

Each method upscales an LR image whose output is 1024 x 1024 (1.05 MP): 256 x 256 at x4, 128 x 128 at x8. The
time is the median of ``--repeats`` runs after one warm-up, through the same ``Method.upscale`` that ``srbench
eval`` calls. Johnson networks use the shipped baselines when present (``baselines/<name>/model.safetensors``),
else random weights (same cost); SRCNN uses the authors' weights from the weights root when present.

Usage: ``python benchmarks/bench_inference.py [--device cpu|cuda|auto] [--repeats 3] [--threads N]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from srbench.device import resolve_device
from srbench.methods.base import Method
from srbench.methods.classic import Bicubic, Nearest
from srbench.methods.model import ModelMethod
from srbench.models import build_model

BASELINES = Path(__file__).resolve().parents[1] / "baselines"


def johnson(scale: int, name: str) -> Method:
    path = BASELINES / name / "model.safetensors"
    if path.exists():
        return ModelMethod.from_weights(path, name)
    return ModelMethod(build_model("johnson", scale=scale), f"{name} (random weights)", scale)


def srcnn(dtype: torch.dtype) -> Method | None:
    from srbench.methods.srcnn import SRCNNMethod
    from srbench.models.srcnn import SRCNN

    return SRCNNMethod(SRCNN(), 4, f"srcnn 9-5-5 ({str(dtype).replace('torch.', '')})", dtype=dtype)


def time_method(method: Method, scale: int, device: torch.device, repeats: int) -> float:
    side = 1024 // scale
    channels = 1 if method.space == "y" else 3
    lr = torch.rand(1, channels, side, side, dtype=torch.float64, device=device)
    if isinstance(method, ModelMethod):
        method.model.to(device)
    method.upscale(lr, scale, ["x"])  # warm-up
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        method.upscale(lr, scale, ["x"])
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    megapixels = (side * scale) ** 2 / 1e6
    return 1000 * statistics.median(times) / megapixels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"device: {name}; output 1024x1024 (1.05 MP); median of {args.repeats}")
    methods: list[tuple[Method, int]] = [
        (Nearest(), 4),
        (Bicubic(), 4),
        (Bicubic(), 8),
        (srcnn(torch.float32), 4),
        (srcnn(torch.float64), 4),
        (johnson(4, "johnson_x4_pixel"), 4),
        (johnson(8, "johnson_x8_pixel"), 8),
    ]
    print(f"{'method':<36}{'scale':>6}{'ms / MP':>10}")
    for method, scale in methods:
        ms = time_method(method, scale, device, args.repeats)
        print(f"{method.name:<36}{'x' + str(scale):>6}{ms:>10.1f}")


if __name__ == "__main__":
    main()
