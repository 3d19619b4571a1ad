"""Training SR networks with the Johnson et al. 2016 recipe: data, recipe, checkpoints and the loop.

The names below are imported from their modules on first use (PEP 562), so that importing
:mod:`srbench.train.recipe` (plain data, which ``srbench train --help`` reads) imports no torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from srbench.train.data import DEGRADATION, TrainData
    from srbench.train.estimate import RunEstimate
    from srbench.train.loop import TrainingError, TrainResult, train
    from srbench.train.recipe import RECIPES, TrainConfig, get_recipe

#: public name -> the module of this package that defines it
_HOMES = {
    "DEGRADATION": "data",
    "TrainData": "data",
    "RunEstimate": "estimate",
    "TrainingError": "loop",
    "TrainResult": "loop",
    "train": "loop",
    "RECIPES": "recipe",
    "TrainConfig": "recipe",
    "get_recipe": "recipe",
}

__all__ = [
    "DEGRADATION",
    "RECIPES",
    "RunEstimate",
    "TrainConfig",
    "TrainData",
    "TrainResult",
    "TrainingError",
    "get_recipe",
    "train",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
