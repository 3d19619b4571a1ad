"""Download catalogued datasets with pooch: sha256-checked, atomic, retried, with a progress bar and a mirror.

pooch (the downloader of scikit-image's and SciPy's data) does the HTTP work: it streams each file into a
temporary file beside its destination, checks the sha256 and only then moves it into place, and retries failed
or mismatching downloads. srbench adds what pooch does not do:

* **No retries of a permanent error.** An HTTP 4xx answer (other than 408/425/429) is a one-line
  :class:`~srbench.errors.DataError` at once; every failure is one line naming the URL and the fix.
* **Mirrors and local copies.** ``--mirror`` (or ``$SRBENCH_MIRROR``) fetches every file from a copy of the data
  root (see :func:`mirror_url`): an http(s) URL, a ``file://`` URL or a folder.
* **Resuming by file.** pooch does not resume a partly transferred file (an interrupted transfer leaves nothing
  behind and starts again from zero), so :func:`fetch_dataset` resumes a dataset file by file: every file
  already present and valid is skipped.
* **Conversions and archives.** A JPEG is decoded with Pillow into a lossless PNG whose pixels are checked, and
  archive members are extracted safely by :func:`srbench.data.archives.extract_archive`.

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
import os
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from srbench.data.archives import ARCHIVE_KINDS, extract_archive, safe_relpath
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

__all__ = ["FetchReport", "download", "extract_archive", "fetch_dataset", "mirror_url"]

ProgressCallback = Callable[[int, "int | None"], None]
"""``progress(bytes_done, bytes_total_or_None)``, called as a download advances."""

USER_AGENT = "srbench (+https://github.com/; pooch)"
MIRROR_ENV = "SRBENCH_MIRROR"
DOWNLOADS_DIR = ".downloads"  # inside <root>/<dataset>: intermediate files (archives, JPEGs, mirror staging)
CONVERSIONS = ("decode-to-png",)

_RETRYABLE_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})
_NET_FIX = "check your network or use --mirror"


# --- single downloads ---------------------------------------------------------------------------------------


class _ProgressAdapter:
    """The progress-bar object pooch's HTTPDownloader drives (``total``, ``update``, ``reset``, ``close``),
    forwarding ``(bytes_done, bytes_total_or_None)`` to a callback."""

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.total = 0
        self.done = 0

    def update(self, n: int) -> None:
        self.done = min(self.done + n, self.total) if self.total else self.done + n
        self.callback(self.done, self.total or None)

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        pass


class _HTTP:
    """pooch's HTTPDownloader, with permanent HTTP errors turned into a DataError that pooch does not retry."""

    def __init__(self, progress: ProgressCallback | None, timeout: float) -> None:
        import pooch

        bar = _ProgressAdapter(progress) if progress is not None else False
        self._inner = pooch.HTTPDownloader(progressbar=bar, timeout=timeout, headers={"User-Agent": USER_AGENT})

    def __call__(self, url: str, output_file: str, pup: Any, check_only: bool = False) -> Any:
        import requests

        try:
            return self._inner(url, output_file, pup, check_only=check_only)
        except requests.HTTPError as exc:
            code = exc.response.status_code if exc.response is not None else 0
            if code not in _RETRYABLE_HTTP:
                raise DataError(f"cannot download {url} ({_http_reason(exc)}); {_NET_FIX}") from None
            raise


def _copy_local(url: str, output_file: str, pup: Any, check_only: bool = False) -> bool | None:
    """A pooch downloader for ``file://`` URLs: copies the file (pooch then checks and places it)."""
    src = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    if check_only:
        return src.is_file()
    if not src.is_file():
        raise DataError(f"cannot download {url} (no such file); check the path or use --mirror")
    shutil.copyfile(src, output_file)
    return None


def download(
    url: str,
    dest: Path,
    sha256: str | None,
    *,
    progress: ProgressCallback | None = None,
    timeout: float = 60.0,
    retries: int = 3,
) -> Path:
    """Download ``url`` to ``dest`` with pooch, atomically, checking its sha256.

    Args:
        url: an ``http``, ``https`` or ``file`` URL.
        dest: the final path; its folder is created. pooch writes a temporary file beside it and moves it into
            place only once complete and verified.
        sha256: the expected hex digest of the file, or None to accept any bytes.
        progress: optional ``progress(bytes_done, bytes_total_or_None)`` callback.
        timeout: socket timeout in seconds (per connect / read, not for the whole file).
        retries: how many more attempts a failed download (dropped connection, timeout, HTTP 5xx/429/408,
            wrong sha256) gets; each starts from zero (pooch does not resume a partial transfer).

    Returns:
        ``dest``. Nothing is downloaded when ``dest`` already exists with the right sha256 (or at all, when
        ``sha256`` is None).

    Raises:
        DataError: HTTP error (404 ...), network failure after the retries, or a sha256 mismatch; ``dest`` is
            left as it was and no temporary file remains.
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
    import pooch
    import requests

    dest.parent.mkdir(parents=True, exist_ok=True)
    pup = pooch.create(
        path=dest.parent,
        base_url="",
        registry={dest.name: f"sha256:{expected}" if expected else None},
        urls={dest.name: url},
        retry_if_failed=max(0, retries),
    )
    downloader = _copy_local if scheme == "file" else _HTTP(progress, timeout)
    attempts = max(0, retries) + 1
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch logs every download at INFO to stderr; the progress bar says enough
    try:
        pup.fetch(dest.name, downloader=downloader)
    except ValueError as exc:  # pooch: the sha256 of the downloaded file does not match
        got = re.search(r"but got ([0-9a-f]{64})", str(exc))
        raise DataError(
            f"{url}: downloaded file has sha256 {got.group(1) if got else '(unknown)'}, expected {expected}; the "
            "server sent different bytes (a changed or broken mirror): try again, or use --mirror with a good copy"
        ) from None
    except requests.HTTPError as exc:
        raise DataError(f"cannot download {url} ({_http_reason(exc)}, {attempts} attempt(s)); {_NET_FIX}") from None
    except requests.RequestException as exc:
        raise DataError(f"cannot download {url} ({_request_reason(exc)}, {attempts} attempt(s)); {_NET_FIX}") from None
    finally:
        logger.setLevel(level)
    umask = os.umask(0)
    os.umask(umask)
    dest.chmod(0o666 & ~umask)  # pooch's temporary file is 0600; a placed file gets the usual permissions
    return dest


def _http_reason(exc: Any) -> str:
    resp = exc.response
    if resp is None:
        return str(exc).split("\n")[0]
    return f"HTTP {resp.status_code} {resp.reason or ''}".strip()


def _request_reason(exc: BaseException) -> str:
    """A short reason for a requests failure: the OS error's text where there is one (``Connection refused``)."""
    text = str(exc)
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if m:
        return m.group(1).strip()
    first = text.split("\n")[0].strip() or type(exc).__name__
    return first if len(first) <= 160 else first[:157] + "..."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).split("\n")[0].strip()
    return text or type(exc).__name__


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
                    pair = (member, str(safe_relpath(dest, where)))
                    if pair not in pairs:
                        pairs.append(pair)
                continue
            if "dest" not in src:
                raise DataError(f"{where} has no 'dest'; fix the catalog")
            dest = str(safe_relpath(src["dest"], where))
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
