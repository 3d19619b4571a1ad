"""User-facing errors.

Every mistake a user can make (a missing file, a corrupt image, an unsupported scale, ...) raises
:class:`SrbenchError` with a one-line message that names the offending thing and the fix. The CLI prints
that line and exits non-zero without a traceback; programming errors still raise ordinary exceptions.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class SrbenchError(Exception):
    """An error caused by the user's input; its message is one line naming the problem and the fix."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class DataError(SrbenchError):
    """A dataset, image file or data root is missing, corrupt or unsuitable."""


class ConfigError(SrbenchError):
    """An option or combination of options is invalid."""


class FileAccessError(SrbenchError):
    """A file or folder srbench must read or write is not accessible (permissions, a read-only or full disk)."""


def access_error(
    path: str | os.PathLike[str] | None, action: str, exc: OSError, folder: str | os.PathLike[str] | None = None
) -> FileAccessError:
    """The one-line error for an ``OSError`` met on ``path`` (``action``: read, write, or access when unknown).

    It names the path, the reason (``permission denied``, ``read-only file system``, ...) and the fix, so a file
    without read permission is never reported as "corrupt" and an unwritable output never ends in a traceback.
    ``folder`` is what a write fix should make writable (default: the folder holding ``path``).
    """
    where = Path(path if path is not None else (exc.filename or "?"))
    reason = (exc.strerror or type(exc).__name__).lower()
    if isinstance(exc, PermissionError):
        if action == "read":
            fix = f"fix: chmod a+r {where} (and a+x on the folders above it)"
        elif action == "write":
            fix = f"fix: chmod u+w {folder if folder is not None else where.parent}, or choose another path"
        else:
            fix = f"fix: chmod u+rw {where} (and a+x on the folders above it), or choose another path"
    elif exc.errno == errno.EROFS:
        fix = "fix: choose a path on a writable file system"
    elif exc.errno == errno.ENOSPC:
        fix = "fix: free disk space or choose another path"
    elif exc.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        fix = "fix: a file stands where a folder is needed (or a folder where a file is); choose another path"
    else:
        fix = "fix: check the path and its permissions"
    return FileAccessError(f"cannot {action} {where} ({reason}); {fix}")
