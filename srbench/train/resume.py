"""Whether a checkpoint can be resumed by this run: same settings (but those :data:`RESUMABLE_CHANGES` allows),
same training images, an iteration within ``--iterations``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from srbench.errors import ConfigError, DataError
from srbench.train.data import TrainData
from srbench.train.recipe import RESUMABLE_CHANGES, TrainConfig


def check_resume(config: TrainConfig, state: dict[str, Any], data: TrainData, ckpt: Path) -> None:
    """A one-line error unless the checkpoint ``state`` (from ``ckpt``) fits ``config`` and ``data``."""
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
