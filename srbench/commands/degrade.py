"""``srbench degrade``: write a protocol's LR images (and a manifest) for datasets or a folder of HR images.

A thin layer over :func:`srbench.evaluate.degrade.degrade`; see that module for what is written and when the
files are exact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from srbench.commands.common import default_datasets, progress_bars
from srbench.commands.options import DataRootOpt, DeviceOpt, ProgressOpt


def degrade_command(
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            "-d",
            help="Dataset name (set5, set14, bsd100, demo) or a folder of HR images.",
            show_default="the catalogued sets under the data root",
        ),
    ] = None,
    scale: Annotated[
        list[int] | None, typer.Option("--scale", "-s", help="Scale factor: 2, 3, 4 or 8.", show_default="4")
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder that receives <dataset>/lr_x<scale>/ and a manifest each.")
    ] = Path("lr"),
    protocol: Annotated[str, typer.Option(help="Protocol preset (see `srbench protocols`).")] = "standard",
    degradation: Annotated[
        str | None, typer.Option(help="Override: bicubic or blur-bicubic.", show_default="the protocol's")
    ] = None,
    y_rounding: Annotated[
        str | None, typer.Option(help="Override: round (uint8 rgb2ycbcr) or float.", show_default="the protocol's")
    ] = None,
    grayscale: Annotated[
        str | None, typer.Option(help="Override: as-y or replicate.", show_default="the protocol's")
    ] = None,
    lr_border: Annotated[
        str | None,
        typer.Option(
            help="Override: symmetric (current MATLAB) or replicate (SelfExSR's LR files).",
            show_default="the protocol's",
        ),
    ] = None,
    file_format: Annotated[
        str,
        typer.Option(
            "--format", help="png (8-bit; exact on MATLAB's uint8 path) or npy (float64 on [0, 1], always exact)."
        ),
    ] = "png",
    space: Annotated[
        str,
        typer.Option(help="rgb: the LR of RGB methods (your model); y: the LR luminance of bicubic, SRCNN, ..."),
    ] = "rgb",
    data_root: DataRootOpt = None,
    device: DeviceOpt = "auto",
    progress: ProgressOpt = True,
) -> None:
    """Write a protocol's LR images (the ones `srbench eval` makes) as files, ready for `eval --lr-dir`."""
    from srbench.config import data_root as resolve_data_root
    from srbench.data.datasets import resolve_datasets
    from srbench.device import resolve_device
    from srbench.evaluate.degrade import DegradeRequest, degrade
    from srbench.protocol.record import get_protocol

    root = resolve_data_root(data_root)
    proto = get_protocol(protocol)
    overrides = {
        k: v
        for k, v in {
            "degradation": degradation, "y_rounding": y_rounding, "grayscale": grayscale, "lr_border": lr_border
        }.items()
        if v is not None
    }  # fmt: skip
    if overrides:
        proto = proto.replace(**overrides)
    # format and space are checked by DegradeRequest (one-line ConfigError)
    request = DegradeRequest(
        datasets=tuple(resolve_datasets(dataset or default_datasets(root), root)),
        output=output,
        scales=tuple(scale or [4]),
        protocol=proto,
        format=file_format,  # type: ignore[arg-type]
        space=space,  # type: ignore[arg-type]
        device=str(resolve_device(device)),
    )
    with progress_bars(progress) as bar:
        folders = degrade(request, bar)
    console = Console(stderr=True)
    for f in folders:
        exact = "exact" if f.exact else "8-bit quantisation of the float LR (--format npy keeps it exactly)"
        state = "already complete" if f.reused else "written"
        console.print(f"{f.folder}: {f.files} files {state}, {exact}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"score them with: srbench eval --lr-dir '{output}/{{dataset}}/lr_x{{scale}}' --protocol {protocol}",
        highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip
