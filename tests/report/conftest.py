"""Fixtures for the report tests: synthetic per-image result rows with every column srbench writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

IMAGES = {
    "set5": ["baby", "bird", "butterfly", "head", "woman"],
    "set14": ["comic", "bridge", "lenna"],
    "bsd100": ["3096", "8023", "12084", "14037"],
}


def protocol_json(name: str = "standard", degradation: str = "bicubic") -> str:
    return json.dumps({"name": name, "degradation": degradation, "shave": -1, "y_rounding": "round"}, sort_keys=True)


def make_rows(
    methods: dict[str, float],
    scale: int = 4,
    protocol: str = "standard",
    protocol_key: str = "p1",
    degradation: str = "bicubic",
    created: str = "2026-01-01T00:00:00+00:00",
    method_key: str = "k",
    seed: int = 0,
) -> pd.DataFrame:
    """One row per (method, dataset, image); metric values = offset + noise (seeded)."""
    rng = np.random.default_rng(seed)
    recs = []
    for method, offset in methods.items():
        for ds, ids in IMAGES.items():
            for img in ids:
                recs.append(
                    {
                        "dataset": ds,
                        "scale": scale,
                        "method": method,
                        "image": img,
                        "psnr": 25.0 + offset + rng.normal(0, 1),
                        "ssim": 0.7 + offset / 100 + rng.normal(0, 0.02),
                        "fsim": 0.9 + offset / 200 + rng.normal(0, 0.01),
                        "vif": 0.3 + offset / 100 + rng.normal(0, 0.02),
                        "height": 100,
                        "width": 120,
                        "gray": False,
                        "method_space": "y",
                        "method_key": f"{method_key}-{method}",
                        "method_provenance": "{}",
                        "dataset_checksum": f"sum-{ds}",
                        "protocol_name": protocol,
                        "protocol_key": protocol_key,
                        "protocol": protocol_json(protocol, degradation),
                        "metric_settings": "{}",
                        "device": "cpu",
                        "srbench_version": "0.1.0",
                        "created": created,
                    }
                )
    return pd.DataFrame.from_records(recs)


@pytest.fixture
def rows_factory():  # type: ignore[no-untyped-def]
    """The :func:`make_rows` factory."""
    return make_rows
