"""Given LR files (``--lr-dir``): the folder of a dataset and scale, each image's file, and its values as input.

Folders written by ``srbench degrade`` are read as their manifest says (:mod:`srbench.data.protocol_files`):
the file of each image and the colour space its values are in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from srbench.data.datasets import Dataset
from srbench.data.protocol_files import FolderManifest, read_manifest
from srbench.errors import DataError
from srbench.evaluate.pipeline import HRImage, given_input
from srbench.methods.base import Space
from srbench.protocol.record import Protocol


def lr_source(lr_dir: str) -> str:
    """The ``lr_source`` a ``--lr-dir`` template records: the absolute template, ``{dataset}``/``{scale}`` kept."""
    return str(Path(lr_dir).expanduser().absolute())


def lr_files_sha256(folder: Path, image_ids: Sequence[str]) -> str:
    """sha256 over the given LR files of ``image_ids`` (each file's name and bytes, in id order) and the folder's
    manifest: what a group of results computed from ``folder`` depends on. Results are keyed by it, so LR files
    rewritten in place (``srbench degrade`` with other settings, another tool) are never answered with the rows of
    the old ones."""
    manifest = read_manifest(folder)
    h = hashlib.sha256()
    if (folder / "manifest.json").is_file() and manifest is not None:
        h.update(hashlib.sha256((folder / "manifest.json").read_bytes()).digest())
    for image_id in image_ids:
        f = find_lr_file(folder, image_id, manifest)
        h.update(f.name.encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def lr_dir_for(lr_dir: str | None, dataset: Dataset, scale: int) -> Path | None:
    """The folder of ``dataset``'s LR images at ``scale`` from a ``--lr-dir`` template; ``None`` without one."""
    if lr_dir is None:
        return None
    p = Path(lr_dir.replace("{dataset}", dataset.name).replace("{scale}", str(scale))).expanduser()
    if not p.is_dir():
        raise DataError(f"--lr-dir {p}: not a directory; pass the folder of LR images for {dataset.name} x{scale}")
    return p


def find_lr_file(folder: Path, image_id: str, manifest: FolderManifest | None = None) -> Path:
    """The LR file of ``image_id`` in ``folder``: as the manifest names it, else the first ``<image_id>.*``."""
    if manifest is not None and image_id in manifest.files:  # written by srbench: its manifest names the file
        return folder / manifest.files[image_id]
    for cand in sorted(folder.glob(f"{image_id}.*")):
        if cand.is_file():
            return cand
    raise DataError(f"{folder}: no LR file for image {image_id}; name LR files after the HR images")


def given_lr(
    folder: Path, group: Sequence[HRImage], space: Space, protocol: Protocol, scale: int, device: torch.device
) -> Tensor:
    """The given LR files of ``group`` in ``space``, one batch on ``device`` (``srbench degrade`` folders: as their
    manifest says, :mod:`srbench.data.protocol_files`)."""
    manifest = read_manifest(folder)
    file_space: Space = "y" if manifest is not None and manifest.space == "y" else "rgb"
    return torch.cat(
        [given_input(find_lr_file(folder, g.id, manifest), g, space, protocol, scale, file_space) for g in group]
    ).to(device)
