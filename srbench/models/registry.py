"""One registry of network architectures: ``ARCHITECTURES.get(name)(**kwargs) -> nn.Module``.

Each architecture module registers a factory and ``srbench/models/__init__.py`` imports every one of them, so the
registry is full whichever module of this package is imported first; this module imports none of them. Weights
files record the architecture name and its keyword arguments, so a model is rebuilt from a weights file alone (see
:mod:`srbench.models.weights`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from srbench.registry import Registry

if TYPE_CHECKING:
    from torch import nn

ARCHITECTURES: Registry[Callable[..., nn.Module]] = Registry("architecture")


def build_model(architecture: str, **kwargs: Any) -> nn.Module:
    """Instantiate a registered architecture."""
    return ARCHITECTURES.get(architecture)(**kwargs)
