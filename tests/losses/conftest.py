"""Fixtures of the loss tests: the staged VGG-16 weights under the shared weights root.

* data root: ``$SRBENCH_DATA``, else ``<repo>/../shared/datasets``;
* weights root: ``$SRBENCH_WEIGHTS``, else the data root's parent / ``weights``.

``shared_weights`` returns the weights root and skips the requesting test when
``<weights root>/vgg16/vgg16_features.pth`` is not there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SKIP_REASON = "needs ../shared/weights (set SRBENCH_WEIGHTS)"


def _weights_root() -> Path:
    env = os.environ.get("SRBENCH_WEIGHTS")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("SRBENCH_DATA")
    data_root = Path(data).expanduser() if data else REPO.parent / "shared" / "datasets"
    return data_root.parent / "weights"


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    root = _weights_root()
    if not (root / "vgg16" / "vgg16_features.pth").is_file():
        pytest.skip(SKIP_REASON)
    return root


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny tensors: one intra-op thread is faster than two contended ones (and the suite shares 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
