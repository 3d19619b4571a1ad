"""The per-image result rows of one (dataset, scale, method) group: scores, sizes, keys and provenance."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence

import pandas as pd
import torch

import srbench
from srbench.data.datasets import Dataset
from srbench.evaluate.scoring import Scores
from srbench.evaluate.sources import AnyHR
from srbench.methods.base import Method
from srbench.metrics import MetricSpec
from srbench.protocol.record import Protocol, protocol_label
from srbench.results.table import GroupKey


def result_rows(
    ds: Dataset,
    scale: int,
    method: Method,
    images: Sequence[AnyHR],
    scores: Scores,
    protocol: Protocol,
    specs: Sequence[MetricSpec],
    device: torch.device,
    key: GroupKey,
) -> pd.DataFrame:
    """One row per image of ``images``, in their order (the columns of :mod:`srbench.results.table`)."""
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    metric_settings = json.dumps({m.name: dict(m.settings) for m in specs}, sort_keys=True)
    records = []
    for img in images:
        h, w = img.size
        rec: dict[str, object] = {"dataset": ds.name, "scale": scale, "method": method.name, "image": img.id}
        for m in ("psnr", "ssim", "fsim", "vif"):
            rec[m] = scores[img.id].get(m, float("nan"))
        for spec in specs:
            rec[spec.name] = scores[img.id][spec.name]
        rec.update(
            height=h,
            width=w,
            gray=img.gray,
            method_space=method.space,
            method_key=key.method_key,
            method_provenance=json.dumps(method.provenance(), sort_keys=True),
            dataset_checksum=key.dataset_checksum,
            protocol_name=protocol_label(protocol),
            protocol_key=key.protocol_key,
            protocol=protocol.to_json(),
            metric_settings=metric_settings,
            device=device.type,
            srbench_version=srbench.__version__,
            created=now,
        )
        records.append(rec)
    return pd.DataFrame.from_records(records)
