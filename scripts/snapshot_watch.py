"""Keep each training run's model weights at every N-iteration boundary (the checkpoint is overwritten).

``srbench train`` keeps one ``checkpoint.pt`` per run, rewritten every ``--checkpoint-every`` iterations, so the
model a validation point scored is gone by the next one. This watcher polls the runs' checkpoints and, whenever a
checkpoint's iteration is a multiple of ``--every``, copies its model state to
``OUT/<run folder name>_<iteration>.safetensors`` (a plain state dict; ``scripts/colour_curve.py`` scores them).
Run it beside a chunked training (``scripts/train_pair.sh`` stops each chunk at a multiple of the chunk size, so
every boundary's checkpoint stays on disk until the next chunk's first checkpoint):

    OMP_NUM_THREADS=1 python scripts/snapshot_watch.py runs/x8_pixel runs/x8_feature --out runs/snapshots &
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
from safetensors.torch import save_file


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--poll", type=float, default=15.0, help="seconds between looks")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    seen: dict[Path, float] = {}
    while True:
        for run in a.runs:
            path = run / "checkpoint.pt"
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if seen.get(run) == mtime:
                continue
            try:
                ck = torch.load(path, map_location="cpu", weights_only=False)
            except Exception:  # caught mid-replace: look again next round
                continue
            seen[run] = mtime
            it = int(ck["iteration"])
            dest = a.out / f"{run.name}_{it}.safetensors"
            if it % a.every == 0 and not dest.exists():
                tmp = dest.with_name(f".{dest.name}.tmp")
                save_file({k: v.contiguous() for k, v in ck["model"].items()}, str(tmp))
                os.replace(tmp, dest)
                print(time.strftime("%H:%M:%S"), "kept", dest, flush=True)
        time.sleep(a.poll)


if __name__ == "__main__":
    main()
