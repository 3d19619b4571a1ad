"""What a method is called: the shipped baselines' names and files, the name a weights file gives itself, and the
one name results are stored under.

A weights file is recognised as a shipped baseline by its sha256 (:func:`shipped_name`), so the same weights are
one method however they are named on the command line. The shipped weights are package data, one file per model
in ``srbench/methods/shipped/<run>.safetensors`` (about 7 MB in all; written by ``scripts/make_baselines.py``);
:mod:`srbench.methods.baselines` registers them as methods.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from srbench.methods.base import METHODS
from srbench.methods.postprocessed import split_postprocess

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
"""The package-data folder of the shipped weights: ``<run>.safetensors`` (run ``johnson_x4_pixel`` is the method
``johnson-x4-pixel``)."""

SHIPPED: dict[str, str] = {
    "johnson-x4-pixel": "johnson_x4_pixel",
    "johnson-x4-feature": "johnson_x4_feature",
    "johnson-x8-pixel": "johnson_x8_pixel",
    "johnson-x8-feature": "johnson_x8_feature",
    "srcnn-x8": "srcnn_x8",
}
"""Registered method name -> run name (the weights file's stem and the ``baselines/`` folder)."""


def shipped_weights(name: str) -> Path:
    """The installed weights file of the shipped method ``name`` (which need not exist in a broken install)."""
    return SHIPPED_DIR / f"{SHIPPED[name]}.safetensors"


@functools.cache
def _shipped_hashes() -> dict[str, str]:
    from srbench.models.weights import file_sha256

    return {file_sha256(shipped_weights(name)): name for name in SHIPPED if shipped_weights(name).is_file()}


def shipped_name(path: str | os.PathLike[str]) -> str | None:
    """The registered name of a shipped baseline whose weights file has the same sha256 as ``path``, else None."""
    from srbench.models.weights import file_sha256

    p = Path(path)
    if not p.is_file():
        return None
    return _shipped_hashes().get(file_sha256(p))


def weights_name(metadata: dict[str, Any], path: str | Path) -> str:
    """The method name a weights file gives itself: its run name, else ``<architecture>-x<scale>-<loss>``.

    ``run_name`` / ``name`` in the file's metadata win; otherwise the name is built from what the file computes,
    e.g. ``johnson-x4-feature``. A file whose sha256 is a shipped baseline's gets that baseline's registered name
    (``srcnn-x8``), so the same weights are one method however they are named on the command line; any other
    file whose name would be a registered method's gets the first 8 hex digits of its sha256 appended
    (``johnson-x4-feature-1a2b3c4d``), so it never takes a shipped model's name. Only a file without the
    metadata falls back to its stem.
    """
    shipped = shipped_name(path)
    if shipped is not None:
        return shipped
    name = ""
    for field in ("run_name", "name"):
        if isinstance(metadata.get(field), str) and metadata[field].strip():
            name = str(metadata[field]).strip()
            break
    arch, scale = metadata.get("architecture"), metadata.get("scale")
    if not name and arch:
        loss = metadata.get("loss")
        loss_type = loss.get("type") if isinstance(loss, dict) else loss
        name = "-".join([str(arch), *([f"x{scale}"] if scale else []), *([str(loss_type)] if loss_type else [])])
    name = name or Path(path).stem
    if name in METHODS:
        from srbench.models.weights import file_sha256

        name = f"{name}-{file_sha256(path)[:8]}"
    return name


def canonical_method_name(name: str) -> str:
    """The one name a method's results are stored and shown under: registered names in lower case, aliases
    resolved (``srcnn`` -> ``srcnn-955-imagenet-x4``, also before a post-process suffix: ``srcnn+histmatch``);
    any other name unchanged."""
    base, post = split_postprocess(name)
    return METHODS.canonical(base) + (f"+{post}" if post else "")
