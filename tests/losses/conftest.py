"""Fixtures of the loss tests: the staged VGG-16 weights under the shared weights root.

* data root: ``$SRBENCH_DATA``, else ``<repo>/../shared/datasets``;
* weights root: ``$SRBENCH_WEIGHTS``, else the data root's parent / ``weights``.

``shared_weights`` returns the weights root and skips the requesting test when
``<weights root>/vgg16/vgg16_features.pth`` is not there.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread: None) -> None:
    """Every test here runs with one torch intra-op thread (see the root conftest)."""
