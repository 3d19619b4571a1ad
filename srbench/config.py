"""Where srbench finds data and weights.

Data and weights are read through configurable roots so that the same code runs on a laptop, in CI (roots
pointed at ``../shared``) and on a cluster:

* data root: ``--data-root`` option, else the ``SRBENCH_DATA`` environment variable. It holds one folder per
  dataset (``set5/hr/*.png``, ``set5/lr_x4/*.png``, ...).
* weights root: ``--weights-root`` option, else ``SRBENCH_WEIGHTS``.

When no data root is configured, ``srbench eval`` falls back to the embedded demo dataset.
"""

from __future__ import annotations

import os
from pathlib import Path

from srbench.errors import ConfigError

DATA_ENV = "SRBENCH_DATA"
WEIGHTS_ENV = "SRBENCH_WEIGHTS"


def _resolve(option: str | os.PathLike[str] | None, env: str, what: str) -> Path | None:
    value = os.fspath(option) if option is not None else os.environ.get(env)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        source = "--" + what.replace(" ", "-") if option is not None else f"${env}"
        raise ConfigError(f"{what} {path} (from {source}) is not a directory; create it or point {source} elsewhere")
    return path


def data_root(option: str | os.PathLike[str] | None = None) -> Path | None:
    """The configured data root, or ``None`` when neither the option nor ``SRBENCH_DATA`` is set."""
    return _resolve(option, DATA_ENV, "data root")


def weights_root(option: str | os.PathLike[str] | None = None) -> Path | None:
    """The configured weights root, or ``None`` when neither the option nor ``SRBENCH_WEIGHTS`` is set."""
    return _resolve(option, WEIGHTS_ENV, "weights root")
