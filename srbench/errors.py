"""User-facing errors.

Every mistake a user can make (a missing file, a corrupt image, an unsupported scale, ...) raises
:class:`SrbenchError` with a one-line message that names the offending thing and the fix. The CLI prints
that line and exits non-zero without a traceback; programming errors still raise ordinary exceptions.
"""

from __future__ import annotations


class SrbenchError(Exception):
    """An error caused by the user's input; its message is one line naming the problem and the fix."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class DataError(SrbenchError):
    """A dataset, image file or data root is missing, corrupt or unsuitable."""


class ConfigError(SrbenchError):
    """An option or combination of options is invalid."""
