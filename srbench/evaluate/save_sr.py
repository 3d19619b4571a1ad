"""``EvalRequest(save_sr=DIR)`` / ``srbench eval --save-sr DIR``: keep the SR images that were scored.

Layout: ``DIR/<method>/<dataset>/x<scale>/<image id>.png`` and a ``manifest.json`` per folder
(:mod:`srbench.data.protocol_files`), written after the folder's last image; ``srbench eval --sr-dir
DIR/<method>/<dataset>/x<scale>`` scores them again and reproduces every Y metric (PSNR, SSIM, FSIM, VIF) exactly.

What is kept is the 8-bit image whose luminance was scored, after the protocol's clipping, rounding and histogram
matching (:func:`scored_image`):

* RGB methods: the RGB (or gray) output, ``round(clip(255 sr))``; with ``--histmatch rgb`` after the matching (score
  such a folder again with ``--histmatch none``: the matching is in the files already).
* Luminance methods (bicubic, SRCNN) and ``--histmatch y``: the rounded SR luminance that was scored, as a
  one-channel PNG; the manifest says ``space: y`` and ``--sr-dir`` then scores the files as luminance. The RGB
  metrics (LPIPS, DISTS) of a luminance method combine its unrounded Y with the LR chroma, which these files do not
  hold.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import srbench
from srbench.data.protocol_files import complete, sha256_file, write_manifest, write_values
from srbench.errors import ConfigError
from srbench.methods.base import Method, Space
from srbench.postprocess.histmatch import histmatch_batch
from srbench.protocol.colour import to_uint8_values
from srbench.protocol.record import Protocol

MANIFEST_KIND = "srbench-sr"


def saved_space(method: Method, protocol: Protocol) -> Space:
    """``y`` when the scored image is a luminance (luminance methods, ``--histmatch y``), else ``rgb``."""
    return "y" if method.space == "y" or protocol.histmatch == "y" else "rgb"


def scored_image(sr: Tensor, y_sr: Tensor, lr: Tensor, space: Space, protocol: Protocol) -> Tensor:
    """The 8-bit image scored, ``(N, C, H, W)`` with integer values on [0, 255] (see the module docstring).

    ``y_sr``: :func:`srbench.evaluate.pipeline.sr_to_y` of ``sr`` (unshaved), returned as it is for ``space='y'``.
    """
    if space == "y":
        return y_sr
    x = (sr.to(torch.float64) * 255.0).clamp(0.0, 255.0)
    if protocol.histmatch == "rgb":  # as sr_to_y does it
        ref = lr.to(torch.float64) * 255.0
        if ref.shape[1] != x.shape[1]:
            ref = ref.expand(-1, x.shape[1], -1, -1)
        x = histmatch_batch(x, ref)
    return to_uint8_values(x)


def _safe(name: str) -> str:
    """A method name as a folder name (weights paths and odd characters become ``_``)."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or "method"


class SrFolder:
    """The saved SR images of one (method, dataset, scale) job; thread-safe, manifest written by :meth:`finish`."""

    def __init__(self, root: Path, method: Method, dataset: str, checksum: str, scale: int, protocol: Protocol) -> None:
        if not protocol.quantize_sr:
            raise ConfigError("--save-sr keeps 8-bit images, but the protocol does not round SR outputs to uint8")
        self.folder = Path(root) / _safe(method.name) / dataset / f"x{scale}"
        self.space = saved_space(method, protocol)
        self.protocol = protocol
        self.expect: dict[str, Any] = {
            "kind": MANIFEST_KIND,
            "method": method.name,
            "method_key": method.key(),
            "dataset": dataset,
            "dataset_checksum": checksum,
            "scale": scale,
            "protocol_key": protocol.key(),
            "space": self.space,
            "format": "png",
        }
        self._files: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._method = method

    def complete(self, ids: list[str]) -> bool:
        return complete(self.folder, self.expect, ids)

    def save(self, ids: Sequence[str], sr: Tensor, y_sr: Tensor, lr: Tensor) -> None:
        images = scored_image(sr, y_sr, lr, self.space, self.protocol).cpu()
        for i, image_id in enumerate(ids):
            path = self.folder / f"{image_id}.png"
            exact = write_values(path, images[i] / 255.0, "png")
            entry = {"file": path.name, "sha256": sha256_file(path), "exact": exact}
            with self._lock:
                self._files[image_id] = entry

    def finish(self) -> None:
        rescore = f"srbench eval --sr-dir {self.folder} --protocol {self.protocol.name}"
        if self.protocol.histmatch == "rgb":
            rescore += " --histmatch none"
        write_manifest(
            self.folder,
            {
                **self.expect,
                "name": f"{self._method.name}-saved",
                "method_provenance": self._method.provenance(),
                "protocol_name": self.protocol.name,
                "protocol": self.protocol.to_dict(),
                "exact": all(f["exact"] for f in self._files.values()),
                "files": dict(sorted(self._files.items())),
                "srbench_version": srbench.__version__,
                "rescore": rescore,
            },
        )
