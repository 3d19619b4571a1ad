"""Device selection: ``auto`` uses CUDA when present, else the CPU.

torch is imported inside :func:`resolve_device`, not when this module is loaded: ``srbench eval --device cpu`` on
SR folders (:mod:`srbench.evaluate.lean`) runs without torch, and its command line passes the name ``"cpu"`` on
(:func:`device_name_or_resolved`). ``auto`` needs torch (``torch.cuda.is_available()``), so it always resolves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from srbench.errors import ConfigError

if TYPE_CHECKING:
    import torch


def resolve_device(spec: str = "auto") -> torch.device:
    """``'auto'`` -> ``cuda`` if available else ``cpu``; ``'cpu'``, ``'cuda'``, ``'cuda:1'`` as given."""
    import torch

    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(spec)
    except RuntimeError:
        raise ConfigError(f"unknown device {spec!r}; use auto, cpu or cuda[:N]") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {spec} requested but CUDA is not available here; use --device cpu or auto")
    return dev


def device_name_or_resolved(spec: str = "auto") -> torch.device | str:
    """``'cpu'`` as the string (no torch import); any other spec through :func:`resolve_device`.

    ``auto`` is resolved with torch even when the run would end on the CPU: on a machine with CUDA it means the
    GPU, whose rows (``device`` column, GPU arithmetic) differ from the CPU's, and only torch can tell.
    """
    if spec == "cpu":
        return "cpu"
    return resolve_device(spec)
