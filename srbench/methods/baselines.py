"""The shipped baseline models (``baselines/<run>/model.safetensors``) as named methods.

``johnson-x4-pixel``, ``johnson-x4-feature``, ``johnson-x8-pixel``, ``johnson-x8-feature`` (the paper's image
transformation network with l_pixel / l_feat) and ``srcnn-x8`` (SRCNN trained by srbench, which the authors never
released at x8). Each folder's ``MODEL_CARD.md`` states its reduced training budget. The folder is the
repository's ``baselines/`` (next to the package in a source checkout), or ``$SRBENCH_BASELINES``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from srbench.errors import ConfigError
from srbench.methods.base import METHODS, Method, weights_method

BASELINES_ENV = "SRBENCH_BASELINES"

SHIPPED: dict[str, str] = {
    "johnson-x4-pixel": "johnson_x4_pixel",
    "johnson-x4-feature": "johnson_x4_feature",
    "johnson-x8-pixel": "johnson_x8_pixel",
    "johnson-x8-feature": "johnson_x8_feature",
    "srcnn-x8": "srcnn_x8",
}


def baselines_root() -> Path:
    """``$SRBENCH_BASELINES``, else ``<source checkout>/baselines``."""
    env = os.environ.get(BASELINES_ENV)
    return Path(env).expanduser() if env else Path(__file__).resolve().parents[2] / "baselines"


@functools.cache
def _shipped_hashes(root: Path) -> dict[str, str]:
    from srbench.models.weights import file_sha256

    out = {}
    for name, folder in SHIPPED.items():
        path = root / folder / "model.safetensors"
        if path.is_file():
            out[file_sha256(path)] = name
    return out


def shipped_name(path: str | os.PathLike[str]) -> str | None:
    """The registered name of a shipped baseline whose weights file has the same sha256 as ``path``, else None."""
    from srbench.models.weights import file_sha256

    p = Path(path)
    if not p.is_file():
        return None
    return _shipped_hashes(baselines_root()).get(file_sha256(p))


def _factory(name: str, folder: str) -> Callable[[], Method]:
    def make() -> Method:
        path = baselines_root() / folder / "model.safetensors"
        if not path.is_file():
            raise ConfigError(
                f"method {name} needs {path}; run from a source checkout of srbench or set ${BASELINES_ENV} to its "
                "baselines/ folder"
            )
        method = weights_method(path, name)
        method.description = f"shipped baseline, reduced training budget: baselines/{folder}/MODEL_CARD.md"
        return method

    return make


for _name, _folder in SHIPPED.items():
    METHODS.add(_name, _factory(_name, _folder))
