"""Download catalogued datasets: resumable, hash-checked, atomic downloads and archive extraction.

Only the standard library talks to the network (``urllib.request``; ``http``, ``https`` and ``file`` URLs).

Guarantees:

* **Resumable.** :func:`download` streams into ``<dest>.part``. When a ``.part`` exists it asks the server for
  the rest (``Range: bytes=N-``) and appends if the server answers ``206``; a ``200`` answer restarts from
  zero. A dropped connection, a timeout or an HTTP 5xx/429/408 answer is retried (``retries`` times, each
  resuming the ``.part``); when the retries are spent the ``.part`` is kept, so the next run resumes it.
* **Verified.** The complete file's sha256 is compared with the catalog's before it is renamed into place;
  on a mismatch the ``.part`` is deleted and a :class:`~srbench.errors.DataError` names the URL, both hashes
  and the fix.
* **Atomic.** ``dest`` only ever appears complete and verified (``os.replace`` of the finished ``.part``);
  decoded conversions are written with :func:`srbench.data.imageio.write_image` (temp file, then rename);
  archives are extracted into a temporary sibling directory and then moved into place.

A catalog source (``images[i]["sources"][j]``) is one of:

* a plain file: ``{"url", "dest", "sha256"}``, stored byte-for-byte at ``<root>/<dataset>/<dest>``;
* a file to decode: the same plus ``"convert": "decode-to-png"``; ``sha256`` is the downloaded file's (e.g.
  the original BSDS JPEG), which is decoded with Pillow and written as a lossless PNG at ``dest``, so the
  PNG's bytes may differ from the catalog's ``sha256`` while its pixels match ``pixel_sha256``;
* an archive: ``{"url", "sha256", "archive": "zip" | "tar", "members": {member name: dest}}``; only the
  listed members are extracted, each to its ``dest``. An archive named by several images is downloaded once.
"""

from __future__ import annotations

import contextlib
import http.client
import lzma
import os
import secrets
import shutil
import stat
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from srbench.data.datasets import CatalogSpec, FileRecord
from srbench.data.imageio import read_image, write_image
from srbench.data.verify import (
    VerifyReport,
    catalog_records,
    check_file,
    file_sha256,
    pixel_sha256,
    verify_dataset,
)
from srbench.errors import DataError

ProgressCallback = Callable[[int, "int | None"], None]
"""``progress(bytes_done, bytes_total_or_None)``, called as a download advances."""

USER_AGENT = "srbench (+https://github.com/; python urllib)"
MIRROR_ENV = "SRBENCH_MIRROR"
DOWNLOADS_DIR = ".downloads"  # inside <root>/<dataset>: intermediate files (archives, JPEGs, mirror staging)
CONVERSIONS = ("decode-to-png",)
ARCHIVE_KINDS = ("zip", "tar")

_CHUNK = 1 << 16
_RETRY_BACKOFF_S = 0.5  # first retry waits this long, then doubles (capped at 8 s)
_RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
_NET_FIX = "check your network or use --mirror"


class _Transient(Exception):
    """A failure worth retrying (dropped connection, timeout, 5xx); the message is a short reason."""


# --- single downloads ---------------------------------------------------------------------------------------


def part_path(dest: Path) -> Path:
    """Where :func:`download` keeps the incomplete file for ``dest``: ``<dest>.part``."""
    return dest.with_name(dest.name + ".part")


def download(
    url: str,
    dest: Path,
    sha256: str | None,
    *,
    progress: ProgressCallback | None = None,
    timeout: float = 60.0,
    retries: int = 3,
) -> Path:
    """Download ``url`` to ``dest``, resumably and atomically, checking its sha256.

    Args:
        url: an ``http``, ``https`` or ``file`` URL.
        dest: the final path; its folder is created. It is only ever written by an atomic rename of the
            complete, verified ``<dest>.part``.
        sha256: the expected hex digest of the file, or None to accept any bytes.
        progress: optional ``progress(bytes_done, bytes_total_or_None)`` callback.
        timeout: socket timeout in seconds (per connect / read, not for the whole file).
        retries: how many more attempts a transient failure (dropped connection, timeout, HTTP 5xx/429/408)
            gets; each one resumes the ``.part``.

    Returns:
        ``dest``. Nothing is downloaded when ``dest`` already exists with the right sha256 (or at all, when
        ``sha256`` is None).

    Raises:
        DataError: HTTP error (404 ...), network failure after the retries (the ``.part`` is kept and the next
            call resumes it), or a sha256 mismatch (the ``.part`` is deleted; ``dest`` is left untouched).
    """
    dest = Path(dest)
    expected = sha256.lower() if sha256 else None
    if dest.is_file() and (expected is None or file_sha256(dest) == expected):
        return dest
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https", "file"):
        raise DataError(
            f"cannot download {url}: unsupported URL scheme {scheme or '(none)'!r}; use http(s):// or file://"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = part_path(dest)
    attempts = max(0, retries) + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(min(_RETRY_BACKOFF_S * 2 ** (attempt - 1), 8.0))
        try:
            _fetch_into(url, part, progress=progress, timeout=timeout, local=scheme == "file")
            break
        except _Transient as exc:
            reason = str(exc)
    else:
        kept = f"; the partial download {part.name} is kept and resumed next time" if part.is_file() else ""
        raise DataError(f"cannot download {url} ({reason}, {attempts} attempt(s)); {_NET_FIX}{kept}")
    actual = file_sha256(part)
    if expected is not None and actual != expected:
        part.unlink(missing_ok=True)
        raise DataError(
            f"{url}: downloaded file has sha256 {actual}, expected {expected}; the server sent different "
            "bytes (a changed or broken mirror): try again, or use --mirror with a good copy"
        )
    with open(part, "rb+") as f:  # make the bytes durable before the rename makes them visible
        os.fsync(f.fileno())
    os.replace(part, dest)
    return dest


def _fetch_into(url: str, part: Path, *, progress: ProgressCallback | None, timeout: float, local: bool) -> None:
    """One attempt: append the rest of ``url`` to ``part`` (or rewrite it). Raises _Transient or DataError."""
    offset = part.stat().st_size if part.is_file() else 0
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"})
    if offset and not local:
        req.add_header("Range", f"bytes={offset}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        with contextlib.closing(exc):
            code, msg, headers = exc.code, exc.reason, exc.headers
        if code == 416 and offset:
            total = _range_total(headers.get("Content-Range") if headers else None)
            if total == offset:  # the .part is already complete (crash between download and rename)
                return
            part.unlink(missing_ok=True)
            raise _Transient("server refused to resume the partial file; restarting") from None
        what = f"HTTP {code} {msg}".strip()
        if code in _RETRYABLE_HTTP:
            raise _Transient(what) from None
        raise DataError(f"cannot download {url} ({what}); {_NET_FIX}") from None
    except urllib.error.URLError as exc:
        reason = _reason(exc.reason)
        if local:
            raise DataError(f"cannot download {url} ({reason}); check the path or use --mirror") from None
        raise _Transient(reason) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Transient(_reason(exc)) from None

    with resp:
        status = getattr(resp, "status", None) or 200  # file:// answers have no status
        headers = resp.headers
        if status == 206:
            start = _range_start(headers.get("Content-Range"))
            if start != offset:
                part.unlink(missing_ok=True)
                raise _Transient(f"server resumed at byte {start} instead of {offset}; restarting")
            mode = "ab"
        else:
            mode, offset = "wb", 0
        length = headers.get("Content-Length")
        body = int(length) if length and length.strip().isdigit() else None
        total = offset + body if body is not None else None
        received = 0
        if progress is not None:
            progress(offset, total)
        with open(part, mode) as f:
            while True:
                try:
                    chunk = resp.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise _Transient(f"connection lost after {offset + received} bytes: {_reason(exc)}") from None
                if not chunk:
                    break
                f.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(offset + received, total)
    if body is not None and received < body:
        raise _Transient(f"connection closed after {offset + received} of {total} bytes")


def _reason(exc: object) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).split("\n")[0].strip()
    return text or type(exc).__name__


def _range_start(content_range: str | None) -> int | None:
    """``bytes 100-199/200`` -> 100."""
    if not content_range:
        return None
    try:
        unit, rest = content_range.strip().split(" ", 1)
        return int(rest.split("-", 1)[0]) if unit == "bytes" else None
    except ValueError:
        return None


def _range_total(content_range: str | None) -> int | None:
    """``bytes */200`` or ``bytes 0-1/200`` -> 200."""
    if not content_range or "/" not in content_range:
        return None
    tail = content_range.rsplit("/", 1)[1].strip()
    return int(tail) if tail.isdigit() else None


# --- archives -----------------------------------------------------------------------------------------------


def _safe_relpath(name: str, where: str) -> PurePosixPath:
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
                rel = _safe_relpath(info.filename, where)
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
                rel = _safe_relpath(ti.name, where)
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
                plan.append((m, _safe_relpath(target, f"{archive}: destination for {name!r}")))
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


# --- whole datasets -----------------------------------------------------------------------------------------


def mirror_url(mirror: str, dataset: str, dest: str) -> str:
    """The URL of a dataset file on a mirror: ``<mirror>/<dataset>/<dest>``.

    A mirror serves a copy of the *data root* (the finished layout: ``set5/hr/baby.png``,
    ``bsd100/hr/101085.png``, ...), so any folder made by ``srbench datasets fetch`` (or
    ``../shared/datasets``) works as a mirror when served over HTTP or named as a local path or a ``file://``
    URL. ``mirror`` may be a URL or a local folder.
    """
    if "://" not in mirror:
        mirror = Path(mirror).expanduser().resolve().as_uri()
    quoted = "/".join(urllib.parse.quote(p) for p in [dataset, *PurePosixPath(dest).parts])
    return f"{mirror.rstrip('/')}/{quoted}"


@dataclass(frozen=True)
class _Job:
    kind: str  # "file", "convert", "archive" or "mirror"
    url: str
    sha256: str | None
    dests: tuple[str, ...]
    members: tuple[tuple[str, str], ...] = ()  # archive: (member name, dest)

    @property
    def label(self) -> str:
        return self.dests[0] if len(self.dests) == 1 else f"{self.dests[0]} (+{len(self.dests) - 1})"


def _plan(spec: CatalogSpec, mirror: str | None) -> list[_Job]:
    jobs: list[_Job] = []
    archives: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for item in spec.images:
        for i, src in enumerate(item.get("sources", [])):
            where = f"catalog {spec.name}: image {item.get('id')!r} source {i}"
            url, sha = src.get("url"), src.get("sha256")
            if not isinstance(url, str) or not isinstance(sha, str):
                raise DataError(f"{where} needs a 'url' and a 'sha256'; fix the catalog")
            if "archive" in src:
                if src["archive"] not in ARCHIVE_KINDS or not isinstance(src.get("members"), dict):
                    raise DataError(f"{where}: an archive source needs 'archive': zip|tar and a 'members' map")
                pairs = archives.setdefault((url, sha.lower()), [])
                for member, dest in src["members"].items():
                    pair = (member, str(_safe_relpath(dest, where)))
                    if pair not in pairs:
                        pairs.append(pair)
                continue
            if "dest" not in src:
                raise DataError(f"{where} has no 'dest'; fix the catalog")
            dest = str(_safe_relpath(src["dest"], where))
            conv = src.get("convert")
            if conv is not None and conv not in CONVERSIONS:
                raise DataError(f"{where}: unknown conversion {conv!r} (known: {', '.join(CONVERSIONS)})")
            jobs.append(_Job("convert" if conv else "file", url, sha.lower(), (dest,)))
    for (url, sha), pairs in archives.items():
        jobs.append(_Job("archive", url, sha, tuple(d for _, d in pairs), tuple(pairs)))
    if mirror is None:
        return jobs
    # A mirror serves finished files: one plain download per destination, checked against the catalog.
    mirrored: list[_Job] = []
    for job in jobs:
        for dest in job.dests:
            sha = job.sha256 if job.kind == "file" else None
            mirrored.append(_Job("mirror", mirror_url(mirror, spec.name, dest), sha, (dest,)))
    return mirrored


@dataclass
class FetchReport:
    """What :func:`fetch_dataset` did.

    Attributes:
        dataset: the dataset name.
        folder: ``<root>/<dataset>``.
        downloaded: destination paths (relative to ``folder``) written by this run.
        skipped: destination paths that were already present and valid.
        failed: ``(destination path, one-line reason)`` for every file that could not be fetched.
        verification: the :func:`~srbench.data.verify.verify_dataset` report run after fetching.
    """

    dataset: str
    folder: Path
    downloaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    verification: VerifyReport | None = None

    @property
    def ok(self) -> bool:
        return not self.failed and (self.verification is None or self.verification.ok)

    def lines(self) -> list[str]:
        head = (
            f"{self.dataset}: {len(self.downloaded)} downloaded, {len(self.skipped)} already present, "
            f"{len(self.failed)} failed"
        )
        out = [head] + [f"{self.folder / d}: {why}" for d, why in self.failed]
        if self.verification is not None:
            out += self.verification.lines()
        return out


def fetch_dataset(spec: CatalogSpec, root: Path, *, mirror: str | None = None, progress: bool = True) -> FetchReport:
    """Download every catalogued file of ``spec`` into ``root / spec.name``, then verify the dataset.

    Files already present and valid (same bytes, or same pixels for decoded/re-encoded images) are skipped,
    so a second run downloads nothing and an interrupted run picks up where it stopped (including the
    ``.part`` of the file it was downloading). A file that fails is listed in ``report.failed`` and the others
    are still fetched; the returned report's ``ok`` tells whether the dataset is complete and verified.

    Mirror rule: with ``mirror`` (or ``$SRBENCH_MIRROR``) set, every destination file is fetched from
    ``<mirror>/<dataset>/<dest>`` (see :func:`mirror_url`) instead of the catalog's URL: the mirror serves a
    copy of the finished data root, e.g. ``python -m http.server`` run in a data root, a local path or a
    ``file://`` URL. Such files are accepted when their bytes or their decoded pixels match the catalog, and
    are used as they are (no conversion, no archives).

    Intermediate files (archives, JPEGs to decode, mirror downloads) live in ``<root>/<dataset>/.downloads``
    and are deleted once used.
    """
    root = Path(root)
    folder = root / spec.name
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV) or None
    jobs = _plan(spec, mirror)
    records = {r.file: r for r in catalog_records(spec, include_lr=True)}
    report = FetchReport(spec.name, folder)
    with _ProgressUI(progress, f"{spec.title or spec.name}", len(jobs)) as ui:
        for job in jobs:
            ui.start(job.label)
            if all(_valid(folder, d, records.get(d), job.sha256 if job.kind == "file" else None) for d in job.dests):
                report.skipped.extend(job.dests)
            else:
                try:
                    _run(job, folder, records, ui.bytes)
                    report.downloaded.extend(job.dests)
                except DataError as exc:
                    report.failed.extend((d, str(exc)) for d in job.dests)
                except OSError as exc:
                    why = f"cannot write under {folder} ({_reason(exc)}); check the disk and permissions"
                    report.failed.extend((d, why) for d in job.dests)
            ui.advance()
    with contextlib.suppress(OSError):
        (folder / DOWNLOADS_DIR).rmdir()  # only when empty: kept .part files stay for the next run
    report.verification = verify_dataset(spec, root)
    return report


def _valid(folder: Path, dest: str, record: FileRecord | None, sha256: str | None) -> bool:
    path = folder / dest
    if not path.is_file():
        return False
    if record is not None:
        return check_file(path, record).ok
    if sha256 is not None:
        return file_sha256(path) == sha256
    return True


def _staging(folder: Path, name: str) -> Path:
    return folder / DOWNLOADS_DIR / name.replace("/", "__")


def _url_name(url: str) -> str:
    name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    return name or "download"


def _run(job: _Job, folder: Path, records: dict[str, FileRecord], progress: ProgressCallback) -> None:
    if job.kind == "file":
        download(job.url, folder / job.dests[0], job.sha256, progress=progress)
    elif job.kind == "convert":
        dest = job.dests[0]
        src = download(job.url, _staging(folder, f"{dest}.{_url_name(job.url)}"), job.sha256, progress=progress)
        pixels = read_image(src)
        record = records.get(dest)
        if record is not None and pixel_sha256(pixels) != record.pixel_sha256:
            src.unlink()
            raise DataError(
                f"{job.url}: decoded pixels differ from the catalog's (pixel sha256 {pixel_sha256(pixels)}, "
                f"expected {record.pixel_sha256}); this Pillow decodes the file differently, use --mirror "
                "with a copy of the dataset"
            )
        write_image(folder / dest, pixels)
        src.unlink()
    elif job.kind == "archive":
        assert job.sha256 is not None
        name = f"{job.sha256[:12]}-{_url_name(job.url)}"
        archive = download(job.url, _staging(folder, name), job.sha256, progress=progress)
        extract_archive(archive, folder, members=dict(job.members))
        archive.unlink()
    elif job.kind == "mirror":
        dest = job.dests[0]
        record = records.get(dest)
        staging = _staging(folder, f"mirror.{dest}")
        # a complete leftover may come from another mirror (checked again below); a .part is resumed
        staging.unlink(missing_ok=True)
        download(job.url, staging, None if record is not None else job.sha256, progress=progress)
        if record is not None:
            check = check_file(staging, record)
            if not check.ok:
                staging.unlink(missing_ok=True)
                raise DataError(
                    f"{job.url}: the mirror's file does not match the catalog ({check.reason}); fix the "
                    "mirror or fetch without --mirror"
                )
        (folder / dest).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, folder / dest)
    else:  # pragma: no cover - _plan only makes the kinds above
        raise AssertionError(job.kind)


class _ProgressUI:
    """A rich progress bar over files (to stderr), showing the current file and its percentage; or nothing."""

    def __init__(self, enabled: bool, title: str, total: int) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._enabled = enabled
        self._title = title
        self._total = total
        self._label = ""

    def __enter__(self) -> _ProgressUI:
        if self._enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
            self._task = self._progress.add_task(self._title, total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, label: str) -> None:
        self._label = label
        if self._progress is not None:
            self._progress.update(self._task, description=f"{self._title} {label}")

    def bytes(self, done: int, total: int | None) -> None:
        if self._progress is not None and total:
            pct = min(100, done * 100 // total)
            self._progress.update(self._task, description=f"{self._title} {self._label} {pct:3d}%")

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=self._title)


def iter_sources(spec: CatalogSpec) -> Iterator[dict[str, Any]]:
    """Every source entry of the catalog, in order (for listings and checks)."""
    for item in spec.images:
        yield from item.get("sources", [])
