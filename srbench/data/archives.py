"""Safe extraction of zip and tar archives: listed members only, atomically, without path traversal.

pooch downloads the archives (:mod:`srbench.data.fetch`) but its ``Untar`` processor extracts without tarfile's
``data`` filter on Python < 3.12 and its ``Unzip`` silently rewrites unsafe names, so extraction stays here:
every member is validated before anything is written (absolute paths, ``..``, links pointing outside the archive
and device files are refused), links that stay inside become copies, and files appear only complete.
"""

from __future__ import annotations

import lzma
import os
import secrets
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from srbench.errors import DataError

ARCHIVE_KINDS = ("zip", "tar")

_CHUNK = 1 << 16


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).split("\n")[0].strip()
    return text or type(exc).__name__


def safe_relpath(name: str, where: str) -> PurePosixPath:
    """A normalised relative POSIX path, or DataError for absolute paths and ``..`` (path traversal)."""
    n = name.replace("\\", "/")
    p = PurePosixPath(n)
    if n.startswith("/") or (len(n) >= 2 and n[1] == ":") or ".." in p.parts:
        raise DataError(f"{where}: unsafe path {name!r} (absolute or containing '..'); refusing to extract it")
    parts = [x for x in p.parts if x not in ("", ".")]
    if not parts:
        raise DataError(f"{where}: empty path {name!r}; fix the archive or the catalog")
    return PurePosixPath(*parts)


def _link_target(member: PurePosixPath, target: str, *, symlink: bool) -> PurePosixPath | None:
    """A link's normalised target inside the archive, or None when it points outside (or is absolute).

    Symlink targets are relative to the member's folder, hard-link targets to the archive root.
    """
    t = target.replace("\\", "/")
    if not t or t.startswith("/") or (len(t) >= 2 and t[1] == ":"):
        return None
    base = list(member.parent.parts) if symlink else []
    for part in PurePosixPath(t).parts:
        if part == "..":
            if not base:
                return None
            base.pop()
        elif part not in ("", "."):
            base.append(part)
    return PurePosixPath(*base) if base else None


@dataclass(frozen=True)
class _Member:
    name: str  # as stored in the archive
    rel: PurePosixPath  # normalised
    kind: str  # "file", "dir" or "link"


class _ArchiveReader:
    """A uniform, validated view of a zip or tar archive."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        if zipfile.is_zipfile(archive):
            self._zip = zipfile.ZipFile(archive)
        elif tarfile.is_tarfile(archive):
            self._tar = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed by close()
        else:
            raise DataError(f"{archive}: not a zip or tar archive; delete it and download it again")
        self.members: dict[str, _Member] = {}
        self._links: dict[str, str] = {}  # zip symlink name -> target (normalised, relative to archive root)
        try:
            self._scan()
        except BaseException:
            self.close()
            raise

    def _scan(self) -> None:
        """Index and validate every member (paths, links, file types) before anything is extracted."""
        where = f"{self.archive}"
        if self._zip is not None:
            for info in self._zip.infolist():
                rel = safe_relpath(info.filename, where)
                if stat.S_ISLNK(info.external_attr >> 16):
                    target = self._zip.read(info).decode("utf-8", "replace")
                    inside = _link_target(rel, target, symlink=True)
                    if inside is None:
                        raise DataError(
                            f"{where}: member {info.filename!r} is a symlink to {target!r} outside the "
                            "archive; refusing to extract it"
                        )
                    self._links[info.filename] = str(inside)
                    kind = "link"
                else:
                    kind = "dir" if info.is_dir() else "file"
                self.members[info.filename] = _Member(info.filename, rel, kind)
        else:
            assert self._tar is not None
            for ti in self._tar.getmembers():
                rel = safe_relpath(ti.name, where)
                if ti.issym() or ti.islnk():
                    if _link_target(rel, ti.linkname, symlink=ti.issym()) is None:
                        raise DataError(
                            f"{where}: member {ti.name!r} is a link to {ti.linkname!r} outside the archive; "
                            "refusing to extract it"
                        )
                    kind = "link"
                elif ti.isdir():
                    kind = "dir"
                elif ti.isreg():
                    kind = "file"
                else:
                    raise DataError(f"{where}: member {ti.name!r} is a device or fifo; refusing to extract it")
                self.members[ti.name] = _Member(ti.name, rel, kind)

    def lookup(self, name: str) -> _Member | None:
        m = self.members.get(name)
        if m is None:  # tolerate "./x" vs "x" and trailing-slash differences
            want = PurePosixPath(*[p for p in PurePosixPath(name).parts if p not in ("", ".")])
            m = next((x for x in self.members.values() if x.rel == want), None)
        return m

    def open(self, member: _Member, _depth: int = 0) -> IO[bytes]:
        where = f"{self.archive}: member {member.name!r}"
        if self._zip is not None:
            if member.kind == "link":
                target = self._links[member.name]
                tm = self.lookup(target)
                if tm is None or tm.kind == "dir" or _depth > 8:
                    raise DataError(f"{where} links to {target!r}, which is not a file in the archive; fix the archive")
                return self.open(tm, _depth + 1)
            return self._zip.open(member.name)
        assert self._tar is not None
        try:
            f = self._tar.extractfile(member.name)
        except KeyError:
            f = None
        if f is None:
            raise DataError(f"{where} is not a regular file (or links to a missing member); fix the archive")
        return f

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()


_ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    OSError,
    RuntimeError,
    NotImplementedError,
    UnicodeDecodeError,
)


def extract_archive(archive: Path, dest_dir: Path, *, members: dict[str, str] | None = None) -> list[Path]:
    """Extract a zip or tar(.gz/.bz2/.xz) archive into ``dest_dir``, atomically and safely.

    Every member is validated before anything is written: absolute paths, ``..`` components, links pointing
    outside the archive and device files are refused with a :class:`DataError` (path traversal). Links that
    stay inside are extracted as regular copies of their target. Files are written into a temporary sibling
    of ``dest_dir`` first; if ``dest_dir`` does not exist that directory is renamed to it, otherwise each file
    is moved into place with ``os.replace``. A bad or corrupt archive leaves ``dest_dir`` as it was, and no
    file ever appears half-written.

    Args:
        archive: the archive file (the type is detected from its content).
        dest_dir: where to extract.
        members: optional ``{member name: destination path relative to dest_dir}``; only those members are
            extracted. Without it every file is extracted under its own name.

    Returns:
        The extracted files' final paths, in archive (or ``members``) order.
    """
    archive, dest_dir = Path(archive), Path(dest_dir)
    try:
        reader = _ArchiveReader(archive)
    except DataError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise DataError(
            f"{archive}: cannot read archive ({_reason(exc)}); it is corrupt or truncated, delete it and "
            "download it again"
        ) from None
    try:
        plan: list[tuple[_Member, PurePosixPath]] = []
        if members is None:
            plan = [(m, m.rel) for m in reader.members.values() if m.kind != "dir"]
        else:
            for name, target in members.items():
                m = reader.lookup(name)
                if m is None or m.kind == "dir":
                    raise DataError(f"{archive}: no file {name!r} in the archive; fix the catalog's members list")
                plan.append((m, safe_relpath(target, f"{archive}: destination for {name!r}")))
        plan = list({rel: (m, rel) for m, rel in plan}.values())  # one writer per destination: the last
        dest_dir.parent.mkdir(parents=True, exist_ok=True)
        # mkdir (not mkdtemp, which makes it 0700) so a renamed-into-place folder gets the umask's permissions
        tmp = dest_dir.parent / f".{dest_dir.name}.extract-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
        try:
            for m, rel in plan:
                out = tmp.joinpath(*rel.parts)
                try:
                    src = reader.open(m)
                except KeyError:
                    raise DataError(f"{archive}: cannot open member {m.name!r}; fix the archive") from None
                with src:
                    _write_stream(src, out)
            if members is None:  # keep (empty) directories of a full extraction
                for m in reader.members.values():
                    if m.kind == "dir":
                        tmp.joinpath(*m.rel.parts).mkdir(parents=True, exist_ok=True)
            return _move_into_place(tmp, dest_dir, [rel for _, rel in plan])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except DataError:
        raise
    except _ARCHIVE_ERRORS as exc:
        raise DataError(
            f"{archive}: cannot extract archive ({_reason(exc)}); it is corrupt or truncated, delete it and "
            "download it again"
        ) from None
    finally:
        reader.close()


def _write_stream(src: IO[bytes], out: Path) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        dst = open(out, "wb")  # noqa: SIM115 - read errors and write errors are told apart below
    except OSError as exc:
        raise DataError(f"{out}: cannot write ({_reason(exc)}); check the disk and permissions") from None
    with dst:
        while True:
            block = src.read(_CHUNK)  # read errors propagate as archive errors
            if not block:
                break
            try:
                dst.write(block)
            except OSError as exc:
                raise DataError(f"{out}: cannot write ({_reason(exc)}); check the disk and permissions") from None


def _move_into_place(tmp: Path, dest_dir: Path, rels: list[PurePosixPath]) -> list[Path]:
    final = [dest_dir.joinpath(*r.parts) for r in rels]
    if not dest_dir.exists():
        try:
            os.rename(tmp, dest_dir)
            return final
        except OSError:  # created meanwhile by someone else: fall back to moving file by file
            pass
    dest_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for p in tmp.rglob("*") if p.is_dir()):
        (dest_dir / path.relative_to(tmp)).mkdir(parents=True, exist_ok=True)
    for rel, out in zip(rels, final, strict=True):
        out.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp.joinpath(*rel.parts), out)
    return final
