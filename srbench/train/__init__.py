"""Training SR networks with the Johnson et al. 2016 recipe: data, recipe, checkpoints and the loop."""

from srbench.train.data import DEGRADATION, TrainData
from srbench.train.estimate import RunEstimate
from srbench.train.loop import TrainingError, TrainResult, train
from srbench.train.recipe import RECIPES, TrainConfig, get_recipe

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
