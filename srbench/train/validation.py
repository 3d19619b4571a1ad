"""Validation during training: PSNR / SSIM of the model through :func:`srbench.evaluate.evaluate` (Y channel,
``standard`` protocol) on the validation set, written to ``validation.csv``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srbench.config import data_root as resolve_data_root
from srbench.errors import SrbenchError
from srbench.methods.base import Method
from srbench.train.distributed import unwrap
from srbench.train.history import atomic_write_text, csv_text
from srbench.train.recipe import TrainConfig

VALIDATION = "validation.csv"
VAL_METRICS = ("psnr", "ssim")


class Validator:
    """Validation on a dataset through :func:`srbench.evaluate.evaluate` (standard protocol, PSNR / SSIM)."""

    def __init__(self, config: TrainConfig, device: torch.device, note: Any) -> None:
        from srbench.data.datasets import DATASETS, resolve_dataset

        self.config = config
        self.device = device
        self.dataset = None
        if not config.val_every:
            return
        spec = config.val_dataset
        try:
            root = resolve_data_root(config.data_root)
            if spec.lower() in DATASETS and spec.lower() != "demo" and root is None:
                note(f"validation skipped: no data root for {spec} (pass --data-root or set SRBENCH_DATA)")
                return
            self.dataset = resolve_dataset(spec, root)
        except SrbenchError as exc:
            note(f"validation skipped: {exc}")

    def __call__(self, model: nn.Module, iteration: int) -> dict[str, Any] | None:
        if self.dataset is None:
            return None
        from srbench.evaluate import EvalRequest, evaluate
        from srbench.methods.model import ModelMethod
        from srbench.protocol.record import get_protocol

        net = unwrap(model)
        t0 = time.perf_counter()
        method: Method
        if self.config.space == "y":
            from srbench.methods.srcnn import SRCNNMethod

            method = SRCNNMethod(net, self.config.scale, f"train@{iteration}", "training", "", dtype=torch.float32)  # type: ignore[arg-type]
        else:
            method = ModelMethod(net, f"train@{iteration}", self.config.scale, "rgb")
        try:
            result = evaluate(
                EvalRequest(
                    [self.dataset], [method], [self.config.scale], VAL_METRICS, get_protocol("standard"), self.device
                )
            )
        finally:
            net.train()
        rows = result.rows
        return {
            "iteration": iteration,
            "dataset": self.dataset.name,
            "scale": self.config.scale,
            "images": len(rows),
            **{m: float(rows[m].mean()) for m in VAL_METRICS},
            "seconds": time.perf_counter() - t0,
        }


def write_validation(out: Path, rows: list[dict[str, Any]]) -> None:
    """``validation.csv`` of ``rows`` (one per validation), written atomically."""
    columns = ["iteration", "dataset", "scale", "images", *VAL_METRICS, "seconds"]
    atomic_write_text(out / VALIDATION, csv_text(columns, [[r[c] for c in columns] for r in rows], header=True))
