"""Set5 score and colour error of a run's snapshots, with the paper's histogram matching: a curve over iterations.

The training validation (``validation.csv``) scores Y PSNR without histogram matching, which says nothing about
the colours a reader sees. This script scores the model weights that ``scripts/snapshot_watch.py`` kept at every
500-iteration boundary (``<run>_<iteration>.safetensors``, plain state dicts) as ``+histmatch`` methods through
:func:`colour_check.colour_errors`: whole-image Y PSNR as ``srbench eval`` computes it, and the CIEDE2000 chroma
and hue difference from the HR (``colour``), with bicubic's as the yardstick. The architecture comes from the
run's exported ``model.safetensors``.

    python scripts/colour_curve.py runs/johnson_x8_feature/model.safetensors runs/snapshots/x8_feature_*.safetensors \\
        --out baselines/johnson_x8_feature/colour_curve.csv
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from colour_check import colour_errors
from safetensors.torch import load_file

from srbench.methods.model import ModelMethod
from srbench.methods.postprocessed import PostProcessed
from srbench.models.weights import load_weights


def snapshot_iteration(path: Path) -> int:
    m = re.search(r"_(\d+)\.safetensors$", path.name)
    if m is None:
        raise SystemExit(f"{path}: name it <run>_<iteration>.safetensors")
    return int(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", type=Path, help="the run's exported model.safetensors (architecture and metadata)")
    ap.add_argument("snapshots", nargs="+", type=Path)
    ap.add_argument("--dataset", default="set5")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    _, meta = load_weights(a.model)
    scale = int(meta["scale"])
    methods: list[object] = ["bicubic"]
    for snap in sorted(a.snapshots, key=snapshot_iteration):
        net, _ = load_weights(a.model)
        net.load_state_dict(load_file(str(snap)))
        inner = ModelMethod(net, f"iteration {snapshot_iteration(snap)}", scale, meta["space"])
        methods.append(PostProcessed(inner, "histmatch"))
    rows = colour_errors(a.dataset, scale, methods)
    means = rows.groupby("method", sort=False)[["psnr", "colour"]].mean().reset_index()
    bicubic = means[means["method"] == "bicubic"].iloc[0]
    curve = means[means["method"] != "bicubic"].copy()
    curve.insert(0, "iteration", [int(m.split()[1].split("+")[0]) for m in curve["method"]])
    curve = curve.drop(columns="method")
    curve["bicubic_psnr"] = bicubic["psnr"]
    curve["bicubic_colour"] = bicubic["colour"]
    a.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = a.out.with_name(f".{a.out.name}.tmp")
    curve.to_csv(tmp, index=False, float_format="%.4f")
    os.replace(tmp, a.out)
    print(curve.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
