"""Fixtures for the model tests: ``shared_weights``, the weights root holding the SRCNN authors' files.

The root is ``$SRBENCH_WEIGHTS`` if set, else ``weights/`` next to the data root (``$SRBENCH_DATA/..`` or
``<repo>/../shared``). Tests that request it skip when the SRCNN files are not there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIP_REASON = "needs ../shared/weights (set SRBENCH_WEIGHTS)"
SRCNN_FILES = (
    "srcnn_955_imagenet_x4.mat",
    "srcnn_915_91images_x4.mat",
    "srcnn_955_imagenet_x4_torch_oihw.npz",
    "srcnn_915_91images_x4_torch_oihw.npz",
)


def _weights_root() -> Path:
    env = os.environ.get("SRBENCH_WEIGHTS")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("SRBENCH_DATA")
    shared = Path(data).expanduser().parent if data else REPO.parent / "shared"
    return shared / "weights"


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    root = _weights_root()
    if not all((root / "srcnn" / f).is_file() for f in SRCNN_FILES):
        pytest.skip(SKIP_REASON)
    return root
