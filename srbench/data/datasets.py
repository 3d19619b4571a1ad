"""The dataset registry: Set5, Set14, BSD100, the embedded demo set, and any folder of HR images.

A :class:`Dataset` is a named, ordered list of HR images with a checksum. Catalogued benchmark sets carry, for
every image, its id, size, channel count and two sha256 hashes (file bytes and decoded pixels), shipped in
``srbench/data/catalog/<name>.json``; their files are resolved under the data root as ``<root>/<name>/hr``
(and ``lr_x4`` / ``lr_x8`` where the benchmark ships MATLAB-made LR images).

The demo set is built from images that scikit-image ships, so ``srbench eval`` works on a fresh machine with
no data root.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from srbench import builtin
from srbench.data.imageio import list_images, read_image
from srbench.errors import DataError, access_error
from srbench.registry import Registry


@dataclass(frozen=True)
class FileRecord:
    """A catalogued file: path relative to the dataset folder, expected size and hashes."""

    file: str
    width: int
    height: int
    channels: int
    sha256: str
    pixel_sha256: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> FileRecord:
        return cls(d["file"], int(d["width"]), int(d["height"]), int(d["channels"]), d["sha256"], d["pixel_sha256"])


@dataclass(frozen=True)
class ImageEntry:
    """One image of a dataset; ``load`` returns its HR pixels as uint8."""

    id: str
    load: Callable[[], np.ndarray] = field(repr=False, compare=False)
    path: Path | None = None
    record: FileRecord | None = None
    lr: dict[str, FileRecord] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Dataset:
    """A named, ordered collection of HR images.

    Attributes:
        name: registry name (``set5``) or a folder-derived name.
        title: display name (``Set5``).
        images: the images, in a fixed order (sorted by id).
        root: the dataset folder, when the images live on disk.
        citation: where the images come from.
        lr_dirs: shipped LR folders, ``{"lr_x4": 4, ...}``.
        checksum_source: what the checksum hashes ("pixels" for catalogued sets, "files" for folders).
    """

    name: str
    title: str
    images: tuple[ImageEntry, ...]
    root: Path | None = None
    citation: str = ""
    lr_dirs: dict[str, int] = field(default_factory=dict)
    checksum_source: str = "pixels"

    def __iter__(self) -> Iterator[ImageEntry]:
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)

    @cached_property
    def checksum(self) -> str:
        """A sha256 over (id, hash) of every image: results are keyed by it, so changed data is re-scored."""
        h = hashlib.sha256()
        for img in self.images:
            if img.record is not None:
                digest = img.record.pixel_sha256
            elif img.path is not None:
                try:
                    digest = hashlib.sha256(img.path.read_bytes()).hexdigest()
                except OSError as exc:
                    raise access_error(img.path, "read", exc) from None
            else:
                digest = hashlib.sha256(np.ascontiguousarray(img.load()).tobytes()).hexdigest()
            h.update(f"{img.id}\0{digest}\n".encode())
        return h.hexdigest()

    def lr_dir_for(self, scale: int) -> Path | None:
        """The shipped MATLAB-made LR folder for ``scale``, if this dataset has one on disk."""
        for d, s in self.lr_dirs.items():
            if s == scale and self.root is not None and (self.root / d).is_dir():
                return self.root / d
        return None


@dataclass(frozen=True)
class CatalogSpec:
    """A catalogued benchmark dataset (parsed ``catalog/<name>.json``)."""

    name: str
    title: str
    citation: str
    version: int
    images: tuple[dict[str, Any], ...]
    lr_protocols: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, name: str) -> CatalogSpec:
        text = resources.files("srbench.data").joinpath("catalog", f"{name}.json").read_text()
        return cls.from_json(json.loads(text))

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CatalogSpec:
        return cls(
            d["name"],
            d["title"],
            d.get("citation", ""),
            int(d.get("version", 1)),
            tuple(d["images"]),
            dict(d.get("lr_protocols", {})),
        )

    def hr_record(self, item: dict[str, Any]) -> FileRecord:
        return FileRecord.from_json(item["hr"])

    def open(self, root: Path) -> Dataset:
        """Bind the catalog to files under ``root / name``. Missing files are reported by ``verify``."""
        folder = root / self.name
        if not (folder / "hr").is_dir():
            raise DataError(
                f"{folder / 'hr'}: dataset {self.name} not found under the data root; run "
                f"`srbench datasets fetch {self.name} --data-root {root}` or point --data-root/SRBENCH_DATA at "
                "a folder that holds it"
            )
        images = []
        for item in self.images:
            rec = self.hr_record(item)
            path = folder / rec.file
            lr = {k: FileRecord.from_json(v) for k, v in item.get("lr", {}).items()}
            images.append(ImageEntry(item["id"], _loader(path), path, rec, lr))
        lr_dirs = {d: int(p["scale"]) for d, p in self.lr_protocols.items()}
        return Dataset(self.name, self.title, tuple(images), folder, self.citation, lr_dirs)


def _loader(path: Path) -> Callable[[], np.ndarray]:
    return lambda: read_image(path)


# --- the registry -------------------------------------------------------------------------------------------

DatasetFactory = Callable[[Path | None], Dataset]
DATASETS: Registry[DatasetFactory] = Registry("dataset")
CATALOGUED = builtin.DATASETS


def _catalog_factory(name: str) -> DatasetFactory:
    def make(root: Path | None) -> Dataset:
        if root is None:
            raise DataError(
                f"dataset {name} needs a data root; pass --data-root DIR or set SRBENCH_DATA "
                f"(`srbench datasets fetch {name}` downloads it)"
            )
        return CatalogSpec.load(name).open(root)

    return make


for _name in CATALOGUED:
    DATASETS.add(_name, _catalog_factory(_name))


DEMO_IMAGES: tuple[str, ...] = ("astronaut", "camera", "chelsea", "coffee", "rocket")


def _demo(root: Path | None = None) -> Dataset:
    """Five images shipped inside scikit-image (one grayscale, like Set14's ``bridge``)."""
    import skimage.data

    def loader(fn: str) -> Callable[[], np.ndarray]:
        return lambda: np.ascontiguousarray(getattr(skimage.data, fn)(), dtype=np.uint8)

    images = tuple(ImageEntry(n, loader(n)) for n in DEMO_IMAGES)
    return Dataset(
        "demo",
        "Demo (scikit-image samples)",
        images,
        None,
        "scikit-image sample images (skimage.data); embedded so srbench runs with no data root",
    )


DATASETS.add(builtin.DEMO_DATASET, _demo)


def folder_dataset(folder: str | os.PathLike[str], name: str | None = None) -> Dataset:
    """Any folder of HR images as a dataset; image ids are the file stems."""
    d = Path(folder)
    files = list_images(d)
    if not files:
        raise DataError(f"{d}: no images found (expected .png/.bmp/.jpg/.tif files); point at a folder of HR images")
    stems = [f.stem for f in files]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise DataError(f"{d}: several files share the name {dupes[0]!r}; keep one file per image id")
    images = tuple(ImageEntry(f.stem, _loader(f), f) for f in files)
    return Dataset(name or d.name, name or d.name, images, d, f"folder {d}", {}, "files")


def resolve_dataset(spec: str, root: str | os.PathLike[str] | None = None) -> Dataset:
    """A registered dataset name (read from the data root ``root``), or a path to a folder of HR images."""
    root = Path(root).expanduser() if root is not None else None
    if spec.lower() in DATASETS:
        return DATASETS.get(spec)(root)
    p = Path(spec).expanduser()
    if p.is_dir():
        return folder_dataset(p)
    raise DataError(f"unknown dataset {spec!r}: not one of {', '.join(DATASETS.names())} and not a folder of images")


def resolve_datasets(specs: Sequence[str], root: Path | None) -> list[Dataset]:
    return [resolve_dataset(s, root) for s in specs]
