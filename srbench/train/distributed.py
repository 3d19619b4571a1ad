"""Where a training run runs: its process group under ``torchrun`` (rank, world size) and its device.

Under ``torchrun`` (``WORLD_SIZE > 1``) the process group is initialised (gloo on the CPU, nccl on CUDA) and each
rank takes its ``batch_size / world_size`` share of every global batch; only rank 0 writes files.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from srbench.device import resolve_device
from srbench.errors import ConfigError
from srbench.train.recipe import TrainConfig


@dataclass(frozen=True)
class Dist:
    """This process's place in the run: rank, world size, local rank, and whether it made the process group."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    created: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(config: TrainConfig) -> tuple[Dist, torch.device]:
    """The process group (initialised under ``torchrun``) and this rank's device."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return Dist(), resolve_device(config.device)
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", str(rank)))
    device = resolve_device(config.device)
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if config.batch_size % world:
        raise ConfigError(
            f"--batch-size {config.batch_size} cannot be split over {world} processes; use a multiple of {world}"
        )
    created = False
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
        created = True
    return Dist(dist.get_rank(), dist.get_world_size(), local, created), device


def device_name(device: torch.device) -> str:
    """The device as the run records it: ``cuda (<GPU name>)`` or ``cpu (<processor>, <n> threads)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside ``DistributedDataParallel`` (or the model itself)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model
