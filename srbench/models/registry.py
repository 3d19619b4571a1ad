"""One registry of network architectures: ``ARCHITECTURES.get(name)(**kwargs) -> nn.Module``.

Each architecture module registers a factory; weights files record the architecture name and its keyword
arguments, so a model is rebuilt from a weights file alone (see :mod:`srbench.models.weights`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from srbench.registry import Registry

ARCHITECTURES: Registry[Callable[..., nn.Module]] = Registry("architecture")


def build_model(architecture: str, **kwargs: Any) -> nn.Module:
    """Instantiate a registered architecture (importing the built-in ones first)."""
    import srbench.models.johnson
    import srbench.models.srcnn  # noqa: F401

    return ARCHITECTURES.get(architecture)(**kwargs)
