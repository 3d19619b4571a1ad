"""resolve_dataset accepts the data root as a str or a Path (the Python API is used from notebooks)."""

from __future__ import annotations

from pathlib import Path

from srbench.data.datasets import resolve_dataset


def test_data_root_may_be_a_string(shared_datasets: Path) -> None:
    a = resolve_dataset("set5", shared_datasets)
    b = resolve_dataset("set5", str(shared_datasets))
    assert [i.id for i in a.images] == [i.id for i in b.images] and a.checksum == b.checksum
