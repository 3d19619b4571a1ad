"""Check a catalogued dataset on disk against its catalog: every file present, decodable and unmodified.

Each catalogued file (``FileRecord``) carries two hashes: ``sha256`` of the file bytes and ``pixel_sha256`` of
the decoded ``uint8`` pixels (``np.ascontiguousarray(np.asarray(Image.open(f))).tobytes()``). A file is
accepted when its bytes match (fast path, no decoding), or when its decoded pixels match (a lossless
re-encoding, e.g. a PNG written by another zlib). Anything else is reported with the path and a reason.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from srbench.data.datasets import CatalogSpec, FileRecord

# FileCheck.status values
OK = "ok"
REENCODED = "reencoded"  # same pixels, different encoding: accepted
MISSING = "missing"
CORRUPT = "corrupt"
WRONG_SIZE = "wrong-size"
WRONG_CHANNELS = "wrong-channels"
MODIFIED = "modified"

_ACCEPTED = (OK, REENCODED)


def file_sha256(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def pixel_sha256(pixels: np.ndarray) -> str:
    """The sha256 of decoded pixels, as the catalog defines it (C-contiguous array bytes)."""
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


def decode_pixels(path: Path) -> np.ndarray:
    """Decode an image exactly as the catalog's ``pixel_sha256`` does (no mode conversion).

    Raises:
        OSError, ValueError, SyntaxError, UnidentifiedImageError: the file cannot be decoded.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as im:
            im.load()
            return np.ascontiguousarray(np.asarray(im))


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one catalogued file.

    Attributes:
        path: the file on disk.
        record: the catalog entry it was checked against.
        status: ``ok``, ``reencoded`` (same pixels, different encoding: accepted), ``missing``, ``corrupt``,
            ``wrong-size``, ``wrong-channels`` or ``modified``.
        reason: a short human-readable explanation (empty when the bytes match).
    """

    path: Path
    record: FileRecord
    status: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status in _ACCEPTED

    def line(self) -> str:
        return f"{self.path}: {self.reason or self.status}"


def check_file(path: Path, record: FileRecord) -> FileCheck:
    """Check one file against its catalog record (see the module docstring for the rules)."""
    if not path.is_file():
        return FileCheck(path, record, MISSING, f"missing (expected {record.file} from the catalog)")
    try:
        if file_sha256(path) == record.sha256:
            return FileCheck(path, record, OK)
    except PermissionError:
        return FileCheck(path, record, CORRUPT, f"cannot read file (permission denied); fix: chmod a+r {path}")
    except OSError as exc:
        return FileCheck(path, record, CORRUPT, f"cannot read file ({exc.strerror or exc}); replace it")
    try:
        pixels = decode_pixels(path)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        why = str(exc).split("\n")[0] or type(exc).__name__
        return FileCheck(path, record, CORRUPT, f"corrupt: cannot decode image ({why}); re-download it")
    h, w = pixels.shape[:2]
    if (w, h) != (record.width, record.height):
        return FileCheck(
            path,
            record,
            WRONG_SIZE,
            f"wrong size {w}x{h}, expected {record.width}x{record.height}; re-download it",
        )
    channels = 1 if pixels.ndim == 2 else int(pixels.shape[2])
    if channels != record.channels or pixels.dtype != np.uint8:
        return FileCheck(
            path,
            record,
            WRONG_CHANNELS,
            f"wrong layout: {channels} channel(s) {pixels.dtype}, expected {record.channels} channel(s) "
            "uint8; re-download it",
        )
    if pixel_sha256(pixels) == record.pixel_sha256:
        return FileCheck(path, record, REENCODED, "same pixels, different encoding")
    return FileCheck(
        path, record, MODIFIED, "corrupt / modified: decoded pixels differ from the catalog; re-download it"
    )


@dataclass
class VerifyReport:
    """The result of :func:`verify_dataset`: one :class:`FileCheck` per catalogued file."""

    dataset: str
    folder: Path
    checks: list[FileCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[FileCheck]:
        return [c for c in self.checks if not c.ok]

    @property
    def reencoded(self) -> list[FileCheck]:
        return [c for c in self.checks if c.status == REENCODED]

    def lines(self) -> list[str]:
        """A summary line, then one ``<path>: <reason>`` line per problem (for the CLI).

        A dataset with every file missing gets the one summary line only.
        """
        n = len(self.checks)
        note = f" ({len(self.reencoded)} with the same pixels, different encoding)" if self.reencoded else ""
        if self.ok:
            return [f"{self.dataset}: all {n} files ok{note} in {self.folder}"]
        bad = self.problems
        if all(c.status == MISSING for c in self.checks):
            return [f"{self.dataset}: not found in {self.folder}; run `srbench datasets fetch {self.dataset}`"]
        fix = f"run `srbench datasets fetch {self.dataset}` to repair"
        return [f"{self.dataset}: {len(bad)} of {n} files have problems in {self.folder}; {fix}"] + [
            c.line() for c in bad
        ]


def catalog_records(spec: CatalogSpec, *, include_lr: bool = True) -> list[FileRecord]:
    """Every catalogued file of ``spec``: each image's HR record, then (optionally) its LR records."""
    records: list[FileRecord] = []
    for item in spec.images:
        records.append(spec.hr_record(item))
        if include_lr:
            records.extend(FileRecord.from_json(v) for v in item.get("lr", {}).values())
    return records


def verify_dataset(spec: CatalogSpec, root: Path, *, include_lr: bool = True) -> VerifyReport:
    """Check every catalogued HR (and LR) file of ``spec`` under ``root / spec.name``.

    Never raises for bad data: missing, undecodable, wrong-size, wrong-channel and modified files are listed
    in the report (``report.ok`` is False, ``report.lines()`` names each file and the reason).
    """
    folder = Path(root) / spec.name
    report = VerifyReport(spec.name, folder)
    for rec in catalog_records(spec, include_lr=include_lr):
        report.checks.append(check_file(folder / rec.file, rec))
    return report
