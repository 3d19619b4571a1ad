"""``degrade``: write a protocol's LR images, made by the code ``evaluate`` uses, so outside models can be scored
on exactly the protocol's inputs.

Each image goes through :func:`srbench.evaluate.pipeline.prepare_hr` (mod-crop) and
:func:`srbench.evaluate.pipeline.method_input` (the protocol's degradation, in the colour space of the method that
will read it): the values written are the values ``srbench eval`` gives a method of that space. Layout::

    <output>/<dataset>/lr_x<scale>/<image id>.png|.npy
    <output>/<dataset>/lr_x<scale>/manifest.json

so ``srbench eval --lr-dir '<output>/{dataset}/lr_x{scale}'`` reads them back. The manifest names the protocol
record and key, the degradation, the space and format, and every file with its sha256 and whether it holds the
protocol's values exactly (:mod:`srbench.data.protocol_files`):

* ``--format png`` (8-bit, what SR models consume) is exact where the protocol's LR is 8-bit already: MATLAB's
  uint8 path (``uint8-lr``, ``rcan``, or ``lr_quantize``). On the double path (``standard``, ``blur-bicubic``)
  it is a quantisation to ``round(255 v)``, recorded as ``exact: false``.
* ``--format npy`` keeps the float64 values on [0, 1] bit for bit, for every protocol.
* ``--space rgb`` (default) writes the LR an RGB method (a trained network, your model) receives: the
  degradation of the RGB HR. ``--space y`` writes the LR a luminance method (bicubic, SRCNN) receives: the
  degradation of the protocol's Y of the HR, one channel. ``eval --lr-dir`` on such a folder gives luminance
  methods these values as they are, which is what makes ``degrade`` + ``eval --lr-dir`` equal ``eval`` for them
  (an RGB folder gives them the Y of the degraded RGB, which is not the same image).

For ``bicubic`` at x4 under ``uint8-lr`` the PNGs written for Set5 and Set14 equal the benchmark package's
``lr_x4`` files pixel for pixel, and with ``lr_border='replicate'`` the SelfExSR ``lr_x4_selfexsr`` files of Set5,
Set14 and BSD100 (``tests/evaluate/test_degrade.py``; the packages were made by MATLAB ``imresize`` on uint8).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import srbench
from srbench.data.datasets import Dataset
from srbench.data.protocol_files import (
    FORMATS,
    SPACES,
    FileFormat,
    complete,
    sha256_file,
    write_manifest,
    write_values,
)
from srbench.errors import ConfigError
from srbench.evaluate.pipeline import hr_stack, method_input, prepare_hr
from srbench.evaluate.request import check_scale
from srbench.evaluate.sources import load_images
from srbench.evaluate.workers import default_workers, map_in_threads
from srbench.methods.base import Space
from srbench.protocol.degradations import DEGRADATIONS
from srbench.protocol.record import Protocol

MANIFEST_KIND = "srbench-lr"


@dataclass(frozen=True)
class DegradeRequest:
    """What :func:`degrade` writes.

    Attributes:
        datasets: from :func:`srbench.data.datasets.resolve_dataset` (a catalogued set or a folder of HR images).
        output: the folder that receives ``<dataset>/lr_x<scale>/``.
        scales: any of 2, 3, 4, 8.
        protocol: the protocol whose degradation (and, for ``space='y'``, luminance) makes the LR.
        format: ``png`` (8-bit) or ``npy`` (float64 on [0, 1], exact).
        space: ``rgb`` (the LR of RGB methods) or ``y`` (the LR of luminance methods).
        device: where the degradation runs (values equal on every device: float64 throughout).
    """

    datasets: tuple[Dataset, ...]
    output: Path
    scales: tuple[int, ...] = (4,)
    protocol: Protocol = field(default_factory=Protocol)
    format: FileFormat = "png"
    space: Space = "rgb"
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError(f"unknown LR format {self.format!r}; choose one of: {', '.join(FORMATS)}")
        if self.space not in SPACES:
            raise ConfigError(f"unknown space {self.space!r}; choose one of: {', '.join(SPACES)}")
        if self.protocol.degradation == "given":
            raise ConfigError("the protocol's degradation is 'given' (LR files); choose bicubic or blur-bicubic")
        for s in self.scales:
            check_scale(s)


@dataclass(frozen=True)
class DegradeFolder:
    """One written (or already complete) folder of LR files."""

    dataset: str
    scale: int
    folder: Path
    files: int
    exact: bool
    reused: bool


def lr_folder(output: Path, dataset: str, scale: int) -> Path:
    """``<output>/<dataset>/lr_x<scale>``: the layout ``eval --lr-dir '<output>/{dataset}/lr_x{scale}'`` reads."""
    return Path(output) / dataset / f"lr_x{scale}"


def _expected(request: DegradeRequest, ds: Dataset, scale: int) -> dict[str, object]:
    proto = request.protocol
    return {
        "kind": MANIFEST_KIND,
        "dataset": ds.name,
        "dataset_checksum": ds.checksum,
        "scale": scale,
        "protocol_key": proto.key(),
        "space": request.space,
        "format": request.format,
    }


def degrade(
    request: DegradeRequest, progress: Callable[[str, int], Callable[[int], None]] = lambda d, n: lambda k: None
) -> list[DegradeFolder]:
    """Write the LR files of every dataset at every scale (see the module docstring); returns one entry per folder.

    A folder whose manifest matches the request and whose files are intact is left as it is (``reused``); files
    are written atomically and the manifest last, so an interrupted run leaves no folder that looks complete.
    """
    device = torch.device(request.device)
    workers = default_workers(device)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # images on worker threads, one torch thread each (as evaluate does)
    try:
        return _degrade(request, device, workers, progress)
    finally:
        torch.set_num_threads(previous)


def _degrade(
    request: DegradeRequest,
    device: torch.device,
    workers: int,
    progress: Callable[[str, int], Callable[[int], None]],
) -> list[DegradeFolder]:
    proto = request.protocol
    degradation = DEGRADATIONS.get(proto.degradation)
    done: list[DegradeFolder] = []
    for ds in request.datasets:
        arrays: list[tuple[str, np.ndarray]] | None = None
        for scale in request.scales:
            folder = lr_folder(request.output, ds.name, scale)
            expect = _expected(request, ds, scale)
            ids = [img.id for img in ds.images]
            if complete(folder, expect, ids):
                done.append(DegradeFolder(ds.name, scale, folder, len(ids), _manifest_exact(folder), True))
                continue
            if arrays is None:
                arrays = load_images(ds, workers)
            advance = progress(f"{ds.title} x{scale}", len(ids))

            write_one = functools.partial(_write_lr, request, device, folder, scale)
            files: dict[str, dict[str, object]] = {}
            for image_id, entry in zip(ids, map_in_threads(write_one, arrays, workers), strict=True):
                files[image_id] = entry
                advance(1)
            all_exact = all(bool(f["exact"]) for f in files.values())
            write_manifest(
                folder,
                {
                    **expect,
                    "protocol_name": proto.name,
                    "protocol": proto.to_dict(),
                    "degradation": degradation.id,
                    "values": _values_note(request.format, all_exact),
                    "exact": all_exact,
                    "files": files,
                    "srbench_version": srbench.__version__,
                    "eval": f"srbench eval --lr-dir '{request.output}/{{dataset}}/lr_x{{scale}}'",
                },
            )
            done.append(DegradeFolder(ds.name, scale, folder, len(files), all_exact, False))
    return done


def _write_lr(
    request: DegradeRequest, device: torch.device, folder: Path, scale: int, item: tuple[str, np.ndarray]
) -> dict[str, object]:
    """Degrade one decoded HR image as ``evaluate`` does and write its LR file; returns its manifest entry."""
    image_id, array = item
    proto = request.protocol
    hr = prepare_hr(image_id, array, scale, proto)
    with torch.no_grad():
        lr = method_input(hr_stack([hr], device), hr.gray, request.space, proto, scale)[0].cpu()
    path = folder / f"{image_id}.{request.format}"
    exact = write_values(path, lr, request.format)
    c, h, w = lr.shape
    return {"file": path.name, "sha256": sha256_file(path), "exact": exact, "height": h, "width": w, "channels": c}


def _values_note(fmt: str, exact: bool) -> str:
    if fmt == "npy":
        return "float64 on [0, 1]: the protocol's LR bit for bit"
    if exact:
        return "uint8 = 255 v: the protocol's LR is 8-bit, the files hold it exactly"
    return "uint8 = round(255 v): a quantisation of the protocol's floating-point LR (use --format npy to keep it)"


def _manifest_exact(folder: Path) -> bool:
    from srbench.data.protocol_files import read_manifest

    manifest = read_manifest(folder)
    return bool(manifest is not None and manifest.raw.get("exact"))
