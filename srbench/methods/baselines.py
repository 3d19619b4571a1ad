"""The shipped baseline models as named methods, from weights installed with the package.

``johnson-x4-pixel``, ``johnson-x4-feature``, ``johnson-x8-pixel``, ``johnson-x8-feature`` (the paper's image
transformation network with l_pixel / l_feat) and ``srcnn-x8`` (SRCNN trained by srbench, which the authors never
released at x8). Their weights are package data, one file per model in ``srbench/methods/shipped/<run>.safetensors``
(about 7 MB in all; the names and files are :data:`srbench.methods.naming.SHIPPED`), so they resolve in every
install (a wheel as much as a source checkout); that folder is the only copy, written by
``scripts/make_baselines.py``. Each run's model card, logs and per-image scores are in the repository's
``baselines/<run>/``.
"""

from __future__ import annotations

from collections.abc import Callable

from srbench.errors import ConfigError
from srbench.methods.base import METHODS, Method
from srbench.methods.naming import SHIPPED, shipped_weights
from srbench.methods.resolve import weights_method


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
