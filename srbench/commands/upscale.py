"""``srbench upscale``: upscale an image or a folder of images with any method and write PNGs.

Each PNG records how it was made (method and provenance key, scale, histogram matching, tiling, device, srbench
version, input sha256) in a ``srbench`` tEXt chunk; a folder also gets ``upscale_manifest.json``. Running the
same command again skips finished outputs. See :mod:`srbench.inference.upscale`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from srbench import builtin
from srbench.commands.options import DeviceOpt, ProgressOpt, WeightsRootOpt
from srbench.tiling import DEFAULT_OVERLAP, DEFAULT_TILE

if TYPE_CHECKING:
    from srbench.methods.base import Method

#: scale used when --scale is not given and the method is not a scale-specific model
DEFAULT_SCALE = 4


def default_scale(method: Method) -> int:
    """The model's own scale for trained models (``ModelMethod``, SRCNN), else :data:`DEFAULT_SCALE`."""
    from srbench.methods.model import ModelMethod
    from srbench.methods.srcnn import SRCNNMethod

    if isinstance(method, ModelMethod | SRCNNMethod):
        return int(method.scale)
    return DEFAULT_SCALE


def upscale_command(
    source: Annotated[
        Path, typer.Argument(metavar="INPUT", help="An image file or a folder of images.", show_default=False)
    ],
    target: Annotated[
        Path,
        typer.Argument(
            metavar="OUTPUT", help="Output .png file, or folder (<name>.png per input image).", show_default=False
        ),
    ],
    method: Annotated[
        str,
        typer.Option(
            "--method", "-m", metavar="METHOD", help=f"Method: {', '.join(builtin.METHODS)}, or a .safetensors file."
        ),
    ] = "bicubic",
    scale: Annotated[
        int | None,
        typer.Option("--scale", "-s", metavar="SCALE", help="Scale factor.", show_default="the model's own, else 4"),
    ] = None,
    histmatch: Annotated[
        str,
        typer.Option("--histmatch", metavar="MODE", help="Histogram-match the output to the input: none, rgb or y."),
    ] = "none",
    tile: Annotated[
        int, typer.Option("--tile", min=0, metavar="PIXELS", help="LR tile size in pixels; 0 disables tiling.")
    ] = DEFAULT_TILE,
    overlap: Annotated[
        int,
        typer.Option(
            "--overlap", min=0, metavar="PIXELS", help="LR pixels shared by neighbouring tiles (>= 28: Johnson exact)."
        ),
    ] = DEFAULT_OVERLAP,
    device: DeviceOpt = "auto",
    weights_root: WeightsRootOpt = None,
    progress: ProgressOpt = True,
) -> None:
    """Upscale an image or a folder of images with a method and write PNGs that record how they were made."""
    from srbench.config import WEIGHTS_ENV
    from srbench.config import weights_root as resolve_weights_root
    from srbench.inference.upscale import upscale_path
    from srbench.methods import resolve_method

    root = resolve_weights_root(weights_root)
    if root is not None:
        os.environ[WEIGHTS_ENV] = str(root)  # method factories read the weights root from the environment
    m = resolve_method(method)
    s = default_scale(m) if scale is None else scale
    result = upscale_path(
        m, source, target, s, histmatch=histmatch, tile=tile, overlap=overlap, device=device, progress=progress
    )
    where = result.manifest if result.manifest is not None else result.outputs[0]
    Console(stderr=True).print(
        f"{m.name} x{s}: wrote {result.written}, skipped {result.skipped} (already up to date); {where}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
