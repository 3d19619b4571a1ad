"""Weights files: safetensors tensors plus a metadata record that rebuilds the model on its own.

Metadata (``str -> str`` as safetensors requires; structured values are JSON) always holds:

* ``architecture`` and ``arch_kwargs`` (JSON): ``build_model(architecture, **arch_kwargs)``;
* ``scale`` and ``space`` (``rgb`` or ``y``): what the model expects;
* ``srbench_version``; training adds ``loss``, ``recipe``, ``degradation``, ``iterations``, ``data``, ``seed``.

Files are written atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

import srbench
from srbench.atomic import atomic_path
from srbench.errors import ConfigError, DataError
from srbench.models.registry import build_model

REQUIRED = ("architecture", "arch_kwargs", "scale", "space")


def _encode(metadata: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in metadata.items()}


def _decode(metadata: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in metadata.items():
        try:
            out[k] = json.loads(v)
        except (json.JSONDecodeError, TypeError):
            out[k] = v
    return out


def save_weights(path: str | os.PathLike[str], model: nn.Module, metadata: dict[str, Any]) -> None:
    """Save ``model.state_dict()`` and ``metadata`` to a safetensors file, atomically."""
    missing = [k for k in REQUIRED if k not in metadata]
    if missing:
        raise ValueError(f"weights metadata lacks {missing}")
    meta = {"srbench_version": srbench.__version__, **metadata}
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=_encode(meta))


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata record of a weights file, without loading tensors."""
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such weights file; check the path")
    try:
        with safe_open(str(p), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(f"{p}: not a readable safetensors weights file ({exc}); re-download or re-export it") from None
    return _decode(meta)


def load_weights(path: str | os.PathLike[str], device: torch.device | str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model recorded in a weights file and load its tensors; the model is in eval mode."""
    p = Path(path)
    meta = read_metadata(p)
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise DataError(f"{p}: weights metadata lacks {', '.join(missing)}; it was not written by srbench")
    try:
        model = build_model(meta["architecture"], **dict(meta["arch_kwargs"]))
    except ConfigError as exc:
        raise DataError(f"{p}: {exc}") from None
    state = load_file(str(p), device="cpu")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise DataError(f"{p}: tensors do not fit architecture {meta['architecture']} ({first})") from None
    return model.to(device).eval(), meta


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
