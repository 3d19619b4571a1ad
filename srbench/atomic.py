"""Atomic file writes: nothing srbench finishes is ever left half-written.

``with atomic_path(dest) as tmp: <write tmp>`` writes to a temporary file in the destination's folder; on a clean
exit the file is flushed to disk, given the usual permissions (``0666 & ~umask``; ``mkstemp`` creates 0600),
renamed over ``dest`` with ``os.replace`` (atomic on POSIX) and the folder is synced so the rename survives a
crash. On an exception the temporary file is removed and ``dest`` is untouched. A destination that cannot be
written (no permission, read-only or full disk, a file where a folder should be) raises
:class:`srbench.errors.FileAccessError` naming it and the fix; :func:`check_writable` asks that before any work.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from srbench.errors import FileAccessError, access_error


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: str | os.PathLike[str], flags: int = os.O_RDONLY) -> None:
    try:
        fd = os.open(path, flags)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``dest`` atomically (see the module docstring)."""
    p = Path(dest)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise access_error(p, "write", exc) from None
    os.close(fd)
    try:
        yield Path(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        try:
            os.replace(tmp, p)
        except OSError as exc:
            raise access_error(p, "write", exc) from None
        _fsync(p.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_writable(dest: str | os.PathLike[str], folder: bool = False) -> None:
    """Raise :class:`FileAccessError` now unless files can be created at ``dest`` (a file, or with ``folder`` a
    folder to write into), so a run fails before its work instead of at its first write.

    Nothing is left behind: the nearest existing folder on the way gets a temporary file, which is removed, and
    no missing folder is created.
    """
    p = Path(dest).expanduser()
    target = p if folder else p.parent
    probe = target
    try:
        if not folder and p.is_dir():
            raise FileAccessError(f"cannot write {p} (it is a folder); fix: name a file, e.g. {p / 'results.csv'}")
        while not probe.exists():
            if probe.parent == probe:
                break
            probe = probe.parent
        if not probe.is_dir():
            raise FileAccessError(
                f"cannot write {p} ({probe} is a file, not a folder); fix: choose another path or move {probe}"
            )
        fd, tmp = tempfile.mkstemp(prefix=".srbench-write-check.", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except FileAccessError:
        raise
    except OSError as exc:
        raise access_error(p, "write", exc, folder=probe) from None
