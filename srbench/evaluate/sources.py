"""Where the HR images of an evaluation come from: decoded on first use, by the worker that needs them.

An evaluation groups images by shape before it decodes them, from each image's size and colour as the dataset
catalog records them (or, for a folder of images, as the file header says). Each worker then decodes the images
of its own group, so PNG decoding runs on the workers alongside the resizing and metrics of other groups instead
of before all of them. Decoded arrays are kept per dataset (:class:`DecodedImages`) and reused by every method
and scale, as before. The values do not change: the same arrays go through the same :func:`prepare_hr`; an
image whose decoded size or colour differs from what the plan said is refused with a one-line error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from srbench.data.datasets import Dataset, ImageEntry
from srbench.errors import DataError
from srbench.evaluate.decoded import DecodedImages, StageTimer
from srbench.evaluate.pipeline import HRImage, prepare_hr
from srbench.evaluate.timing import Timer
from srbench.evaluate.workers import map_in_threads
from srbench.protocol.record import Protocol


@dataclass
class PendingHR:
    """An HR image known by id, size (after mod-crop) and colour, decoded and prepared when first used."""

    id: str
    size: tuple[int, int]
    gray: bool
    entry: ImageEntry = field(repr=False)
    decoded: DecodedImages = field(repr=False)
    scale: int
    protocol: Protocol = field(repr=False)
    timer: StageTimer = field(repr=False)
    _image: HRImage | None = field(default=None, repr=False)

    def materialize(self) -> HRImage:
        if self._image is None:
            array = self.decoded.get(self.entry)
            with self.timer("prepare"):
                image = prepare_hr(self.id, array, self.scale, self.protocol)
            if image.size != self.size or image.gray != self.gray:
                where = self.entry.path or self.id
                raise DataError(
                    f"{where}: decoded as {image.size[1]}x{image.size[0]} {'gray' if image.gray else 'colour'}, "
                    f"expected {self.size[1]}x{self.size[0]} {'gray' if self.gray else 'colour'} (catalog or file "
                    "header); the file changed, run `srbench datasets verify` and replace it"
                )
            self._image = image
        return self._image


AnyHR = HRImage | PendingHR


def load_images(ds: Dataset, workers: int = 4, decoded: DecodedImages | None = None) -> list[tuple[str, np.ndarray]]:
    """Decode every HR image of ``ds`` now (in a small thread pool: the PNG decoders release the GIL)."""
    decoded = decoded or DecodedImages(Timer())
    arrays = map_in_threads(decoded.get, ds.images, workers)
    return list(zip([img.id for img in ds.images], arrays, strict=True))


def materialize(image: AnyHR) -> HRImage:
    return image.materialize() if isinstance(image, PendingHR) else image


def _header(entry: ImageEntry) -> tuple[int, int, bool] | None:
    """``(height, width, gray)`` of an image from its catalog record or its file header; None if unknown."""
    if entry.record is not None:
        return entry.record.height, entry.record.width, entry.record.channels == 1
    if entry.path is None:
        return None
    from PIL import Image

    try:
        with Image.open(entry.path) as im:  # reads the header only
            mode, (w, h), transparent = im.mode, im.size, "transparency" in im.info
    except Exception:  # unreadable: decoded up front, which raises the proper error
        return None
    if mode in ("L", "1"):
        return h, w, True
    if mode in ("RGB", "P") and not transparent:
        return h, w, False
    return None  # alpha, 16-bit, CMYK...: decoded up front, which refuses it with the proper error


def plan_images(
    ds: Dataset, decoded: DecodedImages, scale: int, protocol: Protocol, timer: StageTimer
) -> list[PendingHR] | None:
    """Pending HR images of ``ds`` at ``scale``, or None when some image's size or colour is only known by decoding."""
    plan = []
    for entry in ds.images:
        head = _header(entry)
        if head is None:
            return None
        h, w, gray = head
        if protocol.modcrop:
            h, w = h - h % scale, w - w % scale
        plan.append(PendingHR(entry.id, (h, w), gray, entry, decoded, scale, protocol, timer))
    return plan
