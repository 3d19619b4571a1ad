"""Training checkpoints: everything needed to continue a run exactly, written atomically.

A checkpoint (``torch.save`` of a dict of tensors and plain Python values, loadable with ``weights_only=True``)
holds the model, optimizer and grad-scaler states, the RNG states of Python, NumPy, torch and CUDA, the data
sampler state, the iteration, the config, the data files, the loss history and the validation rows.

It is written to a temporary file in the same folder, flushed to disk and renamed over the old one
(``os.replace``), so a crash at any moment leaves either the previous or the new checkpoint, never a torn one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srbench.atomic import atomic_path
from srbench.errors import DataError

FORMAT = "srbench-train-checkpoint"
VERSION = 1


def rng_state() -> dict[str, Any]:
    """The RNG states of Python, NumPy (legacy global generator), torch and every CUDA device."""
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` saved."""
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` (plus format tags) to ``path`` atomically: temp file, fsync, rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        torch.save({"format": FORMAT, "version": VERSION, **payload}, fh)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (on the CPU); one-line ``DataError`` otherwise."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no checkpoint to resume from; run without --resume to start a new run")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unpickling / zip error means the file is not usable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{p}: not a readable srbench checkpoint ({first}); delete it and start a new run") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise DataError(f"{p}: not an srbench training checkpoint; choose another --out or delete the file")
    if obj.get("version") != VERSION:
        raise DataError(
            f"{p}: checkpoint format version {obj.get('version')} is not supported (expected {VERSION}); "
            "start a new run"
        )
    return obj
