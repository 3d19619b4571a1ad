"""Device selection: ``auto`` uses CUDA when present, else the CPU."""

from __future__ import annotations

import torch

from srbench.errors import ConfigError


def resolve_device(spec: str = "auto") -> torch.device:
    """``'auto'`` -> ``cuda`` if available else ``cpu``; ``'cpu'``, ``'cuda'``, ``'cuda:1'`` as given."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(spec)
    except RuntimeError:
        raise ConfigError(f"unknown device {spec!r}; use auto, cpu or cuda[:N]") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {spec} requested but CUDA is not available here; use --device cpu or auto")
    return dev
