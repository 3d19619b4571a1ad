"""What each table column cost: the training budget of a method, read from its recorded provenance.

A reproduction table is honest only if a reader can see what every column was given. Trained methods record their
training metadata in their provenance (weights files written by ``srbench train`` carry it); this module turns
that record into one line per column: iterations, crop, batch, data, precision, hardware, and the post-process
applied to the output. It also says whether an l_pixel / l_feat pair shares one budget, since the paper's
comparison of the two losses rests on their models being trained identically (Johnson et al. 2016, sec. 4.2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

PAPER_BUDGET = "200,000 iterations, crop 288, batch 4, 10k MS-COCO images, GPU (Johnson et al. 2016, sec. 4.2)"
"""The paper's own recipe for its SR networks, for comparison with each column's budget."""

_BUDGET_FIELDS = ("iterations", "crop", "batch_size", "data", "training_images", "amp", "optimizer", "degradation")
"""Metadata fields that make up a training budget (everything but the loss, the seed and the wall time)."""


@dataclass(frozen=True)
class Budget:
    """A column's budget: the words for the reader, and the comparable fields (``None``: not trained by us)."""

    text: str
    fields: tuple[tuple[str, str], ...] | None


def _inner(provenance: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[str]]:
    """The innermost method's provenance and the post-processes applied on top (outermost last)."""
    posts: list[str] = []
    prov = provenance
    while isinstance(prov.get("method"), Mapping):
        if prov.get("postprocess"):
            posts.append(str(prov["postprocess"]))
        prov = prov["method"]
    return prov, posts[::-1]


def _data_name(meta: Mapping[str, Any]) -> str:
    names = [str(d).rstrip("/").rsplit("/", 1)[-1] for d in meta.get("data") or []]
    n = meta.get("training_images")
    label = " + ".join(names) if names else "unknown data"
    return f"{label} ({n} images)" if n else label


def _precision(meta: Mapping[str, Any]) -> str:
    amp = str(meta.get("amp", "off"))
    text = "float32" if amp in ("off", "none", "", "False") else f"{amp} autocast"
    loss = meta.get("loss") or {}
    if "fp16" in str(loss.get("loss_network_file", "")):
        text += ", VGG-16 weights rounded to fp16"
    return text


def _hardware(meta: Mapping[str, Any]) -> str:
    device = str(meta.get("device", "unknown device"))
    device = device.replace(" 1 threads)", " 1 thread)")
    return device.replace("cpu (", "CPU (").replace("cuda (", "GPU (")


def budget_of(provenance: Mapping[str, Any]) -> Budget:
    """The budget of the method with this provenance (see :class:`Budget`)."""
    prov, posts = _inner(provenance)
    post = ""
    if posts:
        post = "; output " + " then ".join(
            "histogram-matched to the LR input (paper sec. 4.2)" if p.startswith("histmatch") else p for p in posts
        )
    meta = prov.get("metadata")
    if isinstance(meta, Mapping) and "iterations" in meta:
        text = (
            f"trained by srbench: {int(meta['iterations']):,} iterations, crop {meta.get('crop', '?')}, "
            f"batch {meta.get('batch_size', '?')}, {_data_name(meta)}, {_precision(meta)}, {_hardware(meta)}{post}"
        )
        # the data compared by folder name: one photo set moved to another machine is the same data
        comparable = {**meta, "data": [str(d).rstrip("/").rsplit("/", 1)[-1] for d in meta.get("data") or []]}
        fields = tuple((f, json.dumps(comparable.get(f), sort_keys=True)) for f in _BUDGET_FIELDS)
        return Budget(text, fields)
    if "weights_sha256" in prov or prov.get("variant"):
        variant = prov.get("variant")
        return Budget(f"the authors' released weights{f', {variant}' if variant else ''}{post}", None)
    return Budget(f"no training ({prov.get('impl', prov.get('name', 'fixed method'))}){post}", None)


def column_budgets(rows: pd.DataFrame, methods: Mapping[str, str]) -> dict[str, Budget]:
    """Column label -> :class:`Budget` for ``methods`` (column label -> method name), from the rows' provenance.

    A method whose rows carry more than one provenance (results of different weights under one name) gets the
    budget of the most recent rows.
    """
    out: dict[str, Budget] = {}
    for label, method in methods.items():
        at = rows[rows["method"].astype(str) == method]
        if at.empty or "method_provenance" not in at.columns:
            continue
        if "created" in at.columns:
            at = at.sort_values("created", kind="stable")
        try:
            prov = json.loads(str(at["method_provenance"].iloc[-1]))
        except ValueError:
            continue
        if isinstance(prov, Mapping):
            out[label] = budget_of(prov)
    return out


def budget_notes(
    budgets: Mapping[str, Budget], pairs: tuple[tuple[str, str], ...] = (("l_pixel", "l_feat"),)
) -> list[str]:
    """One footnote line per column, then one per loss pair saying whether it shares a budget."""
    notes = [f"{label}: {b.text}." for label, b in budgets.items()]
    for a, b in pairs:
        if a in budgets and b in budgets and budgets[a].fields is not None and budgets[b].fields is not None:
            fa, fb = dict(budgets[a].fields), dict(budgets[b].fields)
            differ = [f for f in _BUDGET_FIELDS if fa.get(f) != fb.get(f)]
            if differ:
                notes.append(
                    f"{a} and {b} do NOT share a budget (they differ in {', '.join(differ)}): the gap between them "
                    "is not the loss's alone."
                )
            else:
                notes.append(
                    f"{a} and {b} share one budget (data, crops, iterations, optimizer, precision); "
                    "only the loss (with its TV weight) differs."
                )
    return notes
