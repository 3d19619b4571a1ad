"""Simulate files and folders the user may not read or write, also when the tests run as root.

Root ignores ``chmod``, and CI runs as root, so :func:`deny` makes the open and list calls srbench uses
(``open``, ``os.open``, ``os.listdir``, ``os.scandir``, ``os.mkdir``, ``tempfile.mkstemp``) raise the
``PermissionError`` the kernel would raise for a user without the permission: ``read`` paths cannot be
opened for reading or listed, ``write`` folders get no new files.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


def _denied(path: Any) -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))


def deny(monkeypatch: pytest.MonkeyPatch, read: list[Path] = (), write: list[Path] = ()) -> None:  # type: ignore[assignment]
    """Until the test ends, reading anything at or under a ``read`` path, and creating files in (or under) a
    ``write`` folder, raises ``PermissionError`` (EACCES) naming the path."""
    read_roots = [Path(p).resolve() for p in read]
    write_roots = [Path(p).resolve() for p in write]

    def under(path: Any, roots: list[Path]) -> bool:
        if isinstance(path, int):
            return False
        try:
            p = Path(os.fsdecode(path)).resolve()
        except (TypeError, ValueError):
            return False
        return any(p == r or r in p.parents for r in roots)

    def writes(mode: str) -> bool:
        return any(c in mode for c in "wax+")

    real_open, real_os_open = builtins.open, os.open
    real_listdir, real_scandir, real_mkstemp, real_mkdir = os.listdir, os.scandir, tempfile.mkstemp, os.mkdir

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if under(file, write_roots if writes(mode) else read_roots):
            raise _denied(file)
        return real_open(file, mode, *args, **kwargs)

    def fake_os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        writing = bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if under(path, write_roots if writing else read_roots):
            raise _denied(path)
        return real_os_open(path, flags, *args, **kwargs)

    def listing(real: Callable[..., Any]) -> Callable[..., Any]:
        def fake(path: Any = ".") -> Any:
            if under(path, read_roots):
                raise _denied(path)
            return real(path)

        return fake

    def fake_mkstemp(*args: Any, **kwargs: Any) -> Any:
        folder = kwargs.get("dir", args[2] if len(args) > 2 else None)
        if folder is not None and under(folder, write_roots):
            raise _denied(Path(folder) / "tmpfile")
        return real_mkstemp(*args, **kwargs)

    def fake_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if under(path, write_roots) and not os.path.isdir(path):
            raise _denied(path)
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(io, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "listdir", listing(real_listdir))
    monkeypatch.setattr(os, "scandir", listing(real_scandir))
    monkeypatch.setattr(tempfile, "mkstemp", fake_mkstemp)
