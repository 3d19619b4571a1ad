"""Fixtures of the loss tests: the staged VGG-16 weights under the shared weights root.

* data root: ``$SRBENCH_DATA``, else ``<repo>/../shared/datasets``;
* weights root: ``$SRBENCH_WEIGHTS``, else the data root's parent / ``weights``.

``shared_weights`` returns the weights root and skips the requesting test when
``<weights root>/vgg16/vgg16_features.pth`` is not there.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    """Tiny tensors: one intra-op thread is faster than two contended ones (and the suite shares 2 cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
