"""Device selection: ``auto`` uses CUDA when present, else the CPU.

torch is imported inside :func:`resolve_device`, not when this module is loaded: ``srbench eval`` on SR folders
(:mod:`srbench.evaluate.lean`) runs without torch, and its command line passes the name ``"cpu"`` on
(:func:`device_name_or_resolved`) for ``--device cpu``, and for ``--device auto`` (the default) on a Linux machine
with no GPU driver (:func:`gpu_driver_present`), where ``torch.cuda.is_available()`` is certainly false. Everywhere
else ``auto`` asks torch.
"""

from __future__ import annotations

import os
import sys
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


GPU_DRIVER_PATHS = ("/dev/nvidiactl", "/dev/nvidia0", "/proc/driver/nvidia", "/dev/dxg", "/dev/kfd")
"""Device nodes of the GPU drivers torch's CUDA (and ROCm/HIP) builds talk to: NVIDIA's, WSL2's, AMD's."""


def gpu_driver_present(paths: tuple[str, ...] = GPU_DRIVER_PATHS) -> bool:
    """Whether this machine may have a GPU that torch can use; ``False`` only where it certainly has none.

    On Linux, CUDA (and ROCm) reach the GPU through the driver's device nodes (:data:`GPU_DRIVER_PATHS`); without
    any of them ``torch.cuda.is_available()`` is false, so ``auto`` means the CPU and torch need not be imported
    to say so. Elsewhere (macOS, Windows) there is no such test, and this says ``True`` (ask torch).
    """
    if not sys.platform.startswith("linux"):
        return True
    return any(os.path.exists(p) for p in paths)


def device_name_or_resolved(spec: str = "auto") -> torch.device | str:
    """``'cpu'`` as the string (no torch import), also for ``'auto'`` where no GPU driver is present; any other
    spec through :func:`resolve_device`.

    ``auto`` on a machine that may have CUDA is resolved with torch, even when the run would end on the CPU: there
    it may mean the GPU, whose rows (``device`` column, GPU arithmetic) differ from the CPU's, and only torch can
    tell.
    """
    if spec == "cpu" or (spec == "auto" and not gpu_driver_present()):
        return "cpu"
    return resolve_device(spec)
