"""Print the baselines/README.md table of the shipped models from the committed reports (``reports/means.csv``).

Usage: ``python scripts/baseline_table.py [--means reports/means.csv]``. One row per shipped model: its training
budget (from the weights' metadata) and its Set5 / Set14 / BSD100 means, PSNR / SSIM without -> with the paper's
histogram matching (``<name>+histmatch``), beside bicubic; LPIPS / DISTS of the matched model where the store has
them. Every number is read, none typed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from srbench.methods.naming import SHIPPED_DIR
from srbench.models.weights import read_metadata

DATASETS = ("set5", "set14", "bsd100")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--means", type=Path, default=Path("reports/means.csv"))
    args = ap.parse_args()
    means = pd.read_csv(args.means, comment="#").set_index(["method", "scale", "dataset"])

    def cell(method: str, scale: int, ds: str, metrics: tuple[str, ...] = ("psnr", "ssim")) -> str:
        if (method, scale, ds) not in means.index:
            return "-"
        r = means.loc[(method, scale, ds)]
        if any(pd.isna(r[m]) for m in metrics):
            return "-"
        return " / ".join(f"{r[m]:.2f}" if m == "psnr" else f"{r[m]:.4f}" for m in metrics)

    print(
        "| model | budget | "
        + " | ".join(f"{d} PSNR / SSIM: bare -> +histmatch" for d in DATASETS)
        + " | bicubic PSNR | +histmatch LPIPS / DISTS (Set5, Set14, BSD100) |"
    )
    print("|---|---|" + "---|" * len(DATASETS) + "---|---|")
    for weights in sorted(SHIPPED_DIR.glob("*.safetensors")):
        meta = read_metadata(weights)
        name, scale = weights.stem.replace("_", "-"), int(meta["scale"])
        precision = "float32" if str(meta.get("amp", "off")) in ("off", "none") else f"{meta['amp']} autocast"
        where = "GPU" if str(meta["device"]).startswith("cuda") else "CPU"
        budget = (
            f"{int(meta['iterations']):,} its, crop {meta['crop']}, batch {meta['batch_size']}, {precision}, {where}"
        )
        cells = [
            f"{cell(name, scale, d)} -> {cell(name + '+histmatch', scale, d)}".removesuffix(" -> -") for d in DATASETS
        ]
        bicubic = " / ".join(cell("bicubic", scale, d, ("psnr",)) for d in DATASETS)
        perceptual = "; ".join(cell(name + "+histmatch", scale, d, ("lpips", "dists")) for d in DATASETS)
        print(f"| `{weights.stem}` | {budget} | " + " | ".join(cells) + f" | {bicubic} | {perceptual} |")


if __name__ == "__main__":
    main()
