"""Score a folder of SR outputs made by any external method.

Files are matched to HR images by file stem (``baby.png`` <-> image id ``baby``; a ``_x4``/``x4`` /
``_SR``-style suffix is not stripped: name the files after the HR images). Every missing file and size
mismatch is collected and reported in one line before anything is scored. A folder written by ``srbench eval
--save-sr`` carries a manifest: its method name (``<method>-saved``) and, for luminance methods, ``space: y``
(one-channel files holding the scored SR luminance, scored as it is).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from srbench.data.imageio import list_images, read_image
from srbench.data.protocol_files import read_manifest
from srbench.errors import DataError
from srbench.methods.base import Method, Space

if TYPE_CHECKING:  # torch is imported in upscale(): the lean path (srbench.evaluate.lean) runs without it
    from torch import Tensor


class SrDirMethod(Method):
    """SR images read from ``folder``; ``upscale`` ignores the LR input (only its device and batch size count)."""

    space: Space = "rgb"
    batchable = True
    consumes_lr = False

    def __init__(self, folder: Path, name: str | None = None) -> None:
        self.folder = Path(folder)
        files = list_images(self.folder)
        if not files:
            raise DataError(f"{self.folder}: no SR images found; pass the folder that holds the SR outputs")
        self.files = {f.stem: f for f in files}
        self._files_sha256: str | None = None
        # a folder saved by `srbench eval --save-sr` says what it holds: luminance ('y') or the image ('rgb')
        manifest = read_manifest(self.folder)
        saved = manifest.raw if manifest is not None and manifest.raw.get("kind") == "srbench-sr" else {}
        if saved and manifest is not None:
            self.space = "y" if manifest.space == "y" else "rgb"
        self.name = name or str(saved.get("name") or self.folder.name)

    def check_files(self, expected: dict[str, tuple[int, int]], scale: int) -> None:
        """Raise one ``DataError`` listing every missing file and size mismatch (``expected``: id -> (H, W))."""
        missing = [i for i in expected if i not in self.files]
        wrong = []
        for i, (h, w) in expected.items():
            f = self.files.get(i)
            if f is None:
                continue
            from PIL import Image

            try:
                with Image.open(f) as im:
                    fw, fh = im.size
            except PermissionError:
                wrong.append(f"{f.name} (permission denied: chmod a+r {f})")
                continue
            except OSError:
                wrong.append(f"{f.name} (unreadable)")
                continue
            if (fh, fw) != (h, w):
                wrong.append(f"{f.name} is {fw}x{fh}, expected {w}x{h}")
        parts = []
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            parts.append(f"{len(missing)} missing ({shown})")
        if wrong:
            shown = "; ".join(wrong[:5]) + (f"; and {len(wrong) - 5} more" if len(wrong) > 5 else "")
            parts.append(f"{len(wrong)} size mismatch ({shown})")
        if parts:
            raise DataError(
                f"--sr-dir {self.folder}: " + ", ".join(parts) + f"; SR files must be named after the HR images and "
                f"be the size of the HR mod-cropped to a multiple of {scale}"
            )

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        import torch

        arrays = [read_image(self.files[i]) for i in ids]
        chans = {a.ndim for a in arrays}
        if len(chans) != 1:
            arrays = [a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2) for a in arrays]
        stacked = np.stack(arrays)
        t = torch.from_numpy(stacked).to(lr.device, torch.float64) / 255.0
        return t.unsqueeze(1) if t.ndim == 3 else t.permute(0, 3, 1, 2)

    def files_sha256(self) -> str:
        """The checksum of the folder's files (names and contents), computed once per method object.

        Every row of a run records the provenance (and the job key is made of it): hashing every file again for
        each of them cost more than scoring (119 files x 123 calls: 8 s of a 30 s run of Set5 + Set14 + BSD100).
        One object reads the folder once, so the key of its jobs and the provenance of its rows always agree.
        """
        if self._files_sha256 is None:
            h = hashlib.sha256()
            for stem in sorted(self.files):
                h.update(stem.encode())
                h.update(hashlib.sha256(self.files[stem].read_bytes()).digest())
            self._files_sha256 = h.hexdigest()
        return self._files_sha256

    def provenance(self) -> dict[str, Any]:
        return {"name": self.name, "sr_dir": str(self.folder.resolve()), "files_sha256": self.files_sha256()}
