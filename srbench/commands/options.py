"""Typer options that several commands share, declared once so that every command spells them alike.

One CLI dialect: the same option name, metavar, help text and shown default wherever the option appears (``srbench
eval``, ``srbench study create``, ``srbench upscale``, ``srbench datasets ...``). Plain data: importing this module
imports typer and :mod:`srbench.builtin` only, so ``--help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from srbench import builtin

DataRootOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-root", metavar="DIR", help="Folder holding set5/, set14/, bsd100/.", show_default="$SRBENCH_DATA"
    ),
]
"""``--data-root`` (default ``$SRBENCH_DATA``)."""

WeightsRootOpt = Annotated[
    Path | None,
    typer.Option(
        "--weights-root", metavar="DIR", help="Folder holding srcnn/, vgg16/.", show_default="$SRBENCH_WEIGHTS"
    ),
]
"""``--weights-root`` (default ``$SRBENCH_WEIGHTS``)."""

DeviceOpt = Annotated[str, typer.Option("--device", metavar="DEVICE", help="auto, cpu or cuda[:N].")]
"""``--device``, the same in every command (default ``auto``)."""

MethodsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--method",
        "-m",
        metavar="METHOD",
        help=f"Method: {', '.join(builtin.METHODS)} (`srbench methods`), or a .safetensors file; NAME+histmatch "
        "matches NAME's output to the LR input (Johnson et al.); repeatable.",
        show_default="bicubic, nearest; none with --sr-dir",
    ),
]
"""``--method`` / ``-m``, repeatable (default: bicubic and nearest, none when ``--sr-dir`` is given)."""

SrDirsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--sr-dir",
        metavar="DIR",
        help="Folder of SR outputs of an external method, named after the HR images; repeatable.",
        show_default=False,
    ),
]
"""``--sr-dir``, repeatable: folders of SR images named after the HR images."""

ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")]
"""``--progress/--no-progress`` (default on): progress bars on stderr."""
