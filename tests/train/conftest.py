"""Fixtures of the training tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _train_env(monkeypatch: pytest.MonkeyPatch, one_torch_thread: None) -> None:
    """Tiny tensors on 2 shared cores: one intra-op thread; no data root and no DDP unless a test sets them."""
    monkeypatch.delenv("SRBENCH_DATA", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
