"""``srbench train``: train an SR network with a named recipe (Johnson et al. 2016 by default).

Options left out take the recipe's values (``--recipe johnson2016``: crop 288, batch 4, Adam lr 1e-3,
200k iterations, feature loss at VGG-16 relu2_2). Writes ``checkpoint.pt``, ``train_log.csv``,
``validation.csv`` and ``model.safetensors`` to ``--out``; ``--resume`` continues an interrupted run exactly.
Under ``torchrun --nproc_per_node N`` the run is data-parallel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from srbench.errors import ConfigError


def train_command(
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Folder of training images (repeatable); HR crops are taken from them."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder: checkpoint, logs, model.safetensors.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Architecture to train (johnson).")] = None,
    scale: Annotated[int | None, typer.Option("--scale", "-s", help="Scale factor: 2, 4 or 8.")] = None,
    loss: Annotated[str | None, typer.Option("--loss", help="pixel or feature (VGG-16 relu2_2).")] = None,
    tv_weight: Annotated[
        float | None, typer.Option("--tv-weight", help="TV weight (srbench normalisation; see srbench.losses.tv).")
    ] = None,
    crop: Annotated[int | None, typer.Option("--crop", help="HR crop size (a multiple of the scale).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Global batch size.")] = None,
    lr: Annotated[float | None, typer.Option("--lr", help="Adam learning rate.")] = None,
    iterations: Annotated[int | None, typer.Option("--iterations", help="Optimizer steps in total.")] = None,
    recipe: Annotated[
        str | None, typer.Option("--recipe", help="Recipe the defaults come from. (default: johnson2016)")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the initialisation and the data sampling. (default: 0)")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its checkpoint.")] = False,
    device: Annotated[str | None, typer.Option("--device", help="auto, cpu or cuda[:N]. (default: auto)")] = None,
    amp: Annotated[
        bool | None, typer.Option("--amp/--no-amp", help="bf16 autocast on CUDA, a speed option. (default: off)")
    ] = None,
    channels_last: Annotated[
        bool | None,
        typer.Option("--channels-last/--no-channels-last", help="Channels-last tensors on CUDA. (default: on)"),
    ] = None,
    val_every: Annotated[
        int | None, typer.Option("--val-every", help="Validate on Set5 every N iterations (0: never).")
    ] = None,
    checkpoint_every: Annotated[
        int | None, typer.Option("--checkpoint-every", help="Write the checkpoint every N iterations.")
    ] = None,
    vgg_weights: Annotated[
        Path | None,
        typer.Option("--vgg-weights", help="VGG-16 features state_dict (default: $SRBENCH_VGG16, weights root)."),
    ] = None,
    weights_root: Annotated[
        Path | None, typer.Option("--weights-root", help="Weights folder (default: $SRBENCH_WEIGHTS).")
    ] = None,
    data_root: Annotated[
        Path | None, typer.Option("--data-root", help="Folder holding set5/ for validation (default: $SRBENCH_DATA).")
    ] = None,
    upsample: Annotated[
        str | None, typer.Option("--upsample", help="deconv (the paper's) or nearest (nearest + conv).")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show the progress bar.")] = True,
) -> None:
    """Train a super-resolution network (Johnson et al. 2016 recipe) and export model.safetensors.

    Options left out take the recipe's values (johnson2016: crop 288, batch 4, Adam lr 1e-3, 200k iterations,
    feature loss at VGG-16 relu2_2). With --resume, settings and data folders not given again are taken from
    the run's checkpoint.
    """
    from srbench.train import TrainConfig, get_recipe, train
    from srbench.train.checkpoint import load_checkpoint
    from srbench.train.loop import CHECKPOINT
    from srbench.train.recipe import UPSAMPLE

    if out is None:
        raise ConfigError("no output folder; pass --out DIR")
    folders = list(data or [])
    if resume:
        state = load_checkpoint(out / CHECKPOINT)
        config = TrainConfig.from_dict(dict(state["config"]))
        folders = folders or [Path(f) for f in state["data"]["folders"]]
    else:
        default_recipe = "srcnn" if model is not None and model.lower() == "srcnn" else "johnson2016"
        config = get_recipe(recipe or default_recipe)
    if not folders:
        raise ConfigError("no training data; pass --data DIR (repeatable) with folders of training images")
    if model is not None and model.lower() not in ("johnson", "srcnn"):
        raise ConfigError(f"model {model!r} cannot be trained by srbench train; use --model johnson or srcnn")
    arch = dict(config.arch_kwargs)
    if upsample is not None:
        if upsample not in UPSAMPLE:
            raise ConfigError(f"unknown upsampling {upsample!r}; use --upsample deconv or --upsample nearest")
        arch["upsample"] = upsample
    overrides = {
        "model": None if model is None else model.lower(),
        "recipe": None if recipe is None else recipe.lower(),
        "scale": scale,
        "loss": loss,
        "tv_weight": tv_weight,
        "crop": crop,
        "batch_size": batch_size,
        "lr": lr,
        "iterations": iterations,
        "seed": seed,
        "device": device,
        "amp": amp,
        "channels_last": channels_last,
        "val_every": val_every,
        "checkpoint_every": checkpoint_every,
        "vgg_weights": None if vgg_weights is None else str(vgg_weights),
        "weights_root": None if weights_root is None else str(weights_root),
        "data_root": None if data_root is None else str(data_root),
    }
    config = config.replace(arch_kwargs=arch, **{k: v for k, v in overrides.items() if v is not None}).validate()
    err = Console(stderr=True)
    try:
        result = train(config, [str(d) for d in folders], out, resume=resume, progress=progress)
    except KeyboardInterrupt:
        err.print(f"[red]interrupted[/red]; continue with: srbench train --out {out} --resume")
        raise typer.Exit(130) from None
    if result.model_path is not None:
        last = result.validation[-1] if result.validation else None
        val = f", {last['dataset']} PSNR {last['psnr']:.3f} dB SSIM {last['ssim']:.4f}" if last else ""
        err.print(
            f"trained {result.iterations} iterations ({result.iterations_per_second:.2f} it/s on {result.device}), "
            f"final loss {result.final_loss:.5g}{val}; weights: {result.model_path}",
            highlight=False,
            soft_wrap=True,
        )
