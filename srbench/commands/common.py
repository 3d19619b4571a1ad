"""What several commands share: progress bars on stderr and the datasets a command runs on by default.

Below :mod:`srbench.cli` (which imports the commands), so a command never imports the CLI module back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from srbench import builtin
from srbench.errors import ConfigError


@contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, int], Callable[[int], None]]]:
    """A factory of progress bars on stderr: ``bar(description, total)`` returns ``advance(n)``."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )

    def factory(description: str, total: int) -> Callable[[int], None]:
        task = progress.add_task(description, total=total)
        return lambda n: progress.advance(task, n)

    with progress:
        yield factory


def default_datasets(root: Path | None) -> list[str]:
    """The catalogued datasets present under the data root ``root``; ``demo`` when no root is configured."""
    if root is None:
        return [builtin.DEMO_DATASET]
    present = [n for n in builtin.DATASETS if (root / n / "hr").is_dir()]
    if not present:
        raise ConfigError(
            f"data root {root} holds none of {', '.join(builtin.DATASETS)}; pass --dataset, or run "
            "`srbench datasets fetch`"
        )
    return present
