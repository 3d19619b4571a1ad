"""Atomic file writes: nothing srbench finishes is ever left half-written.

``with atomic_path(dest) as tmp: <write tmp>`` writes to a temporary file in the destination's folder; on a clean
exit the file is flushed to disk, given the usual permissions (``0666 & ~umask``; ``mkstemp`` creates 0600),
renamed over ``dest`` with ``os.replace`` (atomic on POSIX) and the folder is synced so the rename survives a
crash. On an exception the temporary file is removed and ``dest`` is untouched.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _fsync(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
        _fsync(p.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
