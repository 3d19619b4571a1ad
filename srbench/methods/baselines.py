"""The shipped baseline models as named methods, from weights installed with the package.

``johnson-x4-pixel``, ``johnson-x4-feature``, ``johnson-x8-pixel``, ``johnson-x8-feature`` (the paper's image
transformation network with l_pixel / l_feat) and ``srcnn-x8`` (SRCNN trained by srbench, which the authors never
released at x8). Their weights are package data, one file per model in ``srbench/methods/shipped/<run>.safetensors``
(about 7 MB in all), so they resolve in every install (a wheel as much as a source checkout); that folder is the
only copy, written by ``scripts/make_baselines.py``. Each run's model card, logs and per-image scores are in the
repository's ``baselines/<run>/``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from srbench.errors import ConfigError
from srbench.methods.base import METHODS, Method, weights_method

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
"""The package-data folder of the shipped weights: ``<run>.safetensors`` (run ``johnson_x4_pixel`` is the method
``johnson-x4-pixel``)."""

SHIPPED: dict[str, str] = {
    "johnson-x4-pixel": "johnson_x4_pixel",
    "johnson-x4-feature": "johnson_x4_feature",
    "johnson-x8-pixel": "johnson_x8_pixel",
    "johnson-x8-feature": "johnson_x8_feature",
    "srcnn-x8": "srcnn_x8",
}
"""Registered method name -> run name (the weights file's stem and the ``baselines/`` folder)."""


def shipped_weights(name: str) -> Path:
    """The installed weights file of the shipped method ``name`` (which need not exist in a broken install)."""
    return SHIPPED_DIR / f"{SHIPPED[name]}.safetensors"


@functools.cache
def _shipped_hashes() -> dict[str, str]:
    from srbench.models.weights import file_sha256

    return {file_sha256(shipped_weights(name)): name for name in SHIPPED if shipped_weights(name).is_file()}


def shipped_name(path: str | os.PathLike[str]) -> str | None:
    """The registered name of a shipped baseline whose weights file has the same sha256 as ``path``, else None."""
    from srbench.models.weights import file_sha256

    p = Path(path)
    if not p.is_file():
        return None
    return _shipped_hashes().get(file_sha256(p))


def _factory(name: str, run: str) -> Callable[[], Method]:
    def make() -> Method:
        path = shipped_weights(name)
        if not path.is_file():
            raise ConfigError(
                f"method {name} needs {path}, which this install of srbench lacks; reinstall srbench "
                "(pip install --force-reinstall srbench)"
            )
        method = weights_method(path, name)
        method.description = f"shipped baseline, reduced training budget: baselines/{run}/MODEL_CARD.md"
        return method

    return make


for _name, _run in SHIPPED.items():
    METHODS.add(_name, _factory(_name, _run))
