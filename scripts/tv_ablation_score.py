"""Score the runs of scripts/tv_ablation.sh: PSNR / SSIM (Y, ``standard`` protocol) and periodic-artifact energy.

    python scripts/tv_ablation_score.py runs/tv_ablation --out baselines/tv_ablation.md

For every ``RUNS/tv_<weight>/model.safetensors``: Set5 and Set14 at x4 through :func:`srbench.evaluate.evaluate`
(mean PSNR / SSIM), and the period-4 energy (:func:`srbench.metrics.periodic.periodic_energy`; the x4 network
upsamples with two stride-2 transposed convolutions, whose grid artifacts repeat every 2 or 4 pixels) of each SR
output's luminance divided by that of its ground truth, as the geometric mean over the images: 1 means the network
prints no more period-4 pattern than the photo has. Writes a Markdown table.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from srbench.data.datasets import resolve_dataset
from srbench.evaluate import EvalRequest, evaluate
from srbench.evaluate.pipeline import method_input, prepare_hr, y_of
from srbench.methods.resolve import weights_method
from srbench.metrics.periodic import periodic_energy
from srbench.protocol.colour import to_uint8_values
from srbench.protocol.record import get_protocol

DATASETS = ("set5", "set14")
SCALE = 4
PERIOD = 4


def periodic_excess(model_path: Path, root: Path) -> float:
    """Geometric mean over Set5 + Set14 of periodic_energy(SR Y) / periodic_energy(HR Y)."""
    method = weights_method(model_path)
    protocol = get_protocol("standard")
    logs = []
    for name in DATASETS:
        ds = resolve_dataset(name, root)
        for entry in ds.images:
            hr = prepare_hr(entry.id, entry.load(), SCALE, protocol)
            pixels = hr.pixels[None]
            lr = method_input(pixels, hr.gray, method.space, protocol, SCALE)
            sr = to_uint8_values(method.upscale(lr, SCALE, [entry.id]).clamp(0, 1) * 255.0)
            if hr.gray:
                sr = sr.mean(dim=1, keepdim=True) if sr.shape[1] == 3 else sr
            y_sr = y_of(sr, hr.gray, protocol)
            y_hr = y_of(pixels, hr.gray, protocol)
            ratio = periodic_energy(y_sr, PERIOD) / periodic_energy(y_hr, PERIOD)
            logs.append(math.log(float(ratio[0])))
    return math.exp(sum(logs) / len(logs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data-root", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    from srbench.config import data_root

    root = data_root(args.data_root)
    rows = []
    for run in sorted(args.runs.glob("tv_*"), key=lambda p: float(p.name[3:])):
        model = run / "model.safetensors"
        if not model.is_file():
            continue
        res = evaluate(
            EvalRequest(
                [resolve_dataset(d, root) for d in DATASETS],
                [weights_method(model, run.name)],
                scales=[SCALE],
                metrics=["psnr", "ssim"],
                protocol=get_protocol("standard"),
            )
        )
        means = res.rows.groupby("dataset")[["psnr", "ssim"]].mean()
        tv = [float(line.split(",")[3]) for line in (run / "train_log.csv").read_text().splitlines()[-20:]]
        feat = [float(line.split(",")[2]) for line in (run / "train_log.csv").read_text().splitlines()[-20:]]
        weight = float(run.name[3:])
        rows.append(
            f"| {run.name[3:]} | {means.loc['set5', 'psnr']:.2f} / {means.loc['set5', 'ssim']:.4f} | "
            f"{means.loc['set14', 'psnr']:.2f} / {means.loc['set14', 'ssim']:.4f} | "
            f"{periodic_excess(model, root):.2f} | {100 * weight * sum(tv) / max(sum(feat), 1e-12):.2f} % |"
        )
    header = (
        "| TV weight | Set5 PSNR / SSIM | Set14 PSNR / SSIM | period-4 energy / ground truth | TV share of loss |\n"
        "|---|---|---|---|---|"
    )
    args.out.write_text(header + "\n" + "\n".join(rows) + "\n")
    print(args.out.read_text())


if __name__ == "__main__":
    main()
