"""The plain data ``--help`` reads (so that it imports no torch) equals what it mirrors: the registries, the
recipe's TV weight."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import srbench
from srbench import builtin


def test_method_names_are_the_registered_ones() -> None:
    from srbench.methods import METHODS

    assert list(builtin.METHODS) == METHODS.names()


def test_metric_names_are_the_registered_ones() -> None:
    from srbench.metrics import METRICS

    assert list(builtin.METRICS) == METRICS.names()


def test_degradation_names_are_the_registered_ones() -> None:
    from srbench.protocol.degradations import DEGRADATIONS

    assert list(builtin.DEGRADATIONS) == DEGRADATIONS.names()


def test_architecture_names_are_the_registered_ones() -> None:
    from srbench.models import ARCHITECTURES

    assert list(builtin.ARCHITECTURES) == ARCHITECTURES.names()


def test_dataset_names_are_the_registered_ones() -> None:
    from srbench.data.datasets import CATALOGUED, DATASETS

    assert CATALOGUED == builtin.DATASETS
    assert sorted(DATASETS.names()) == sorted([*builtin.DATASETS, builtin.DEMO_DATASET])


def test_the_recipes_fns_tv_weight_is_fast_neural_styles_default() -> None:
    from srbench.losses.tv import fns_tv_weight
    from srbench.train.recipe import FNS_TV_WEIGHT, RECIPES, TrainConfig

    assert FNS_TV_WEIGHT == fns_tv_weight(1e-6, 4) == TrainConfig().tv_weight
    assert RECIPES["johnson2016"].tv_weight == pytest.approx(2e-3)


@pytest.mark.parametrize("module", ["srbench.models", "srbench.methods"])
def test_a_registry_is_full_whichever_submodule_is_imported_first(module: str) -> None:
    """The package ``__init__`` fills the registry; the base modules import none of the registering modules."""
    registry = {"srbench.models": ("registry", "ARCHITECTURES"), "srbench.methods": ("base", "METHODS")}[module]
    expected = list(builtin.ARCHITECTURES if module == "srbench.models" else builtin.METHODS)
    code = f"from {module}.{registry[0]} import {registry[1]}; print({registry[1]}.names())"
    env = {**os.environ, "PYTHONPATH": str(Path(srbench.__file__).resolve().parents[1])}  # this checkout
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip() == repr(expected)
