"""``srbench train``: train an SR network with a named recipe (Johnson et al. 2016 by default).

Options left out take the recipe's values (``--recipe johnson2016``: crop 288, batch 4, Adam lr 1e-3,
200k iterations, feature loss at VGG-16 relu2_2); ``--help`` shows them. Before the long part of a run the
command prints the recipe and the run time measured over its first iterations; on the CPU a run estimated over
an hour asks for confirmation (``--yes`` skips the question; without a terminal it stops, saying so). Writes
``checkpoint.pt``, ``train_log.csv``, ``validation.csv`` and ``model.safetensors`` to ``--output``;
``--resume`` continues an interrupted run exactly, also after Ctrl-C, which writes a checkpoint first. Under
``torchrun --nproc_per_node N`` the run is data-parallel.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from srbench import builtin
from srbench.commands.options import ProgressOpt, WeightsRootOpt
from srbench.errors import ConfigError
from srbench.train.estimate import RunEstimate, format_duration
from srbench.train.recipe import RECIPES, TV_WEIGHTS, TrainConfig, default_tv_weight

#: a CPU run estimated longer than this asks for confirmation (``--yes`` skips it)
CONFIRM_CPU_SECONDS = 3600.0


def _recipe_default(field: str) -> str:
    """``--help`` text of a default taken from the recipe: its value in every recipe."""

    def text(v: Any) -> str:
        return f"{v:g}" if isinstance(v, float) else "on" if v is True else "off" if v is False else str(v)

    values = {name: text(getattr(cfg, field)) for name, cfg in RECIPES.items()}
    if len(set(values.values())) == 1:
        return next(iter(values.values()))
    return ", ".join(f"{name}: {v}" for name, v in values.items())


def _tv_default() -> str:
    """``--help`` text of the TV weight: per recipe and loss."""
    return ", ".join(
        f"{name}: " + " / ".join(f"{w:g} ({loss})" for loss, w in weights.items())
        for name, weights in TV_WEIGHTS.items()
    )


def _trainable() -> list[str]:
    return list(builtin.ARCHITECTURES)


def describe_recipe(config: TrainConfig, folders: list[Path], out: Path) -> str:
    """One line with every setting that shapes the run (printed before it starts)."""
    loss = f"{config.loss} ({', '.join(config.feature_layers)})" if config.loss == "feature" else config.loss
    arch = ", ".join(f"{k} {v}" for k, v in config.arch_kwargs.items())
    return (
        f"recipe {config.recipe}: {config.model} x{config.scale} ({arch}), loss {loss}, TV weight "
        f"{config.tv_weight:g}, crop {config.crop}, batch {config.batch_size}, Adam lr {config.lr:g}, "
        f"{config.iterations} iterations, seed {config.seed}, device {config.device}; validation every "
        f"{config.val_every}, checkpoint every {config.checkpoint_every}; data {', '.join(map(str, folders))}; "
        f"output {out}"
    )


def train_command(
    data: Annotated[
        list[Path] | None,
        typer.Option(
            "--data",
            metavar="DIR",
            help="Folder of training images (repeatable); HR crops are taken from them.",
            show_default="with --resume: the run's own",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Output folder: checkpoint, logs, model.safetensors.",
            show_default=False,
        ),
    ] = None,
    out_alias: Annotated[
        Path | None, typer.Option("--out", hidden=True, help="Old name of --output.", show_default=False)
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="ARCH",
            help=f"Architecture to train: {', '.join(_trainable())}.",
            show_default=_recipe_default("model"),
        ),
    ] = None,
    scale: Annotated[
        int | None,
        typer.Option(
            "--scale",
            "-s",
            metavar="SCALE",
            help="Scale factor: 2, 4 or 8 (srcnn: also 3).",
            show_default=_recipe_default("scale"),
        ),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss", metavar="LOSS", help="pixel or feature (VGG-16 relu2_2).", show_default=_recipe_default("loss")
        ),
    ] = None,
    tv_weight: Annotated[
        float | None,
        typer.Option(
            "--tv-weight",
            metavar="W",
            help="TV weight (srbench normalisation; see srbench.losses.tv).",
            show_default=_tv_default(),
        ),
    ] = None,
    crop: Annotated[
        int | None,
        typer.Option(
            "--crop",
            metavar="PIXELS",
            help="HR crop size (a multiple of the scale).",
            show_default=_recipe_default("crop"),
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size", metavar="N", help="Global batch size.", show_default=_recipe_default("batch_size")
        ),
    ] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", metavar="LR", help="Adam learning rate.", show_default=_recipe_default("lr"))
    ] = None,
    iterations: Annotated[
        int | None,
        typer.Option(
            "--iterations", metavar="N", help="Optimizer steps in total.", show_default=_recipe_default("iterations")
        ),
    ] = None,
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            metavar="NAME",
            help=f"Recipe the defaults come from: {', '.join(RECIPES)}.",
            show_default="johnson2016; srcnn with --model srcnn",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            metavar="N",
            help="Seed of the initialisation and the data sampling.",
            show_default=_recipe_default("seed"),
        ),
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --output from its checkpoint.")] = False,
    device: Annotated[
        str | None,
        typer.Option("--device", metavar="DEVICE", help="auto, cpu or cuda[:N].", show_default="auto"),
    ] = None,
    amp: Annotated[
        bool | None,
        typer.Option("--amp/--no-amp", help="bf16 autocast on CUDA (speed).", show_default=_recipe_default("amp")),
    ] = None,
    channels_last: Annotated[
        bool | None,
        typer.Option(
            "--channels-last/--no-channels-last",
            help="Channels-last tensors on CUDA.",
            show_default=_recipe_default("channels_last"),
        ),
    ] = None,
    val_every: Annotated[
        int | None,
        typer.Option(
            "--val-every",
            metavar="N",
            help="Validate on Set5 every N iterations (0: never).",
            show_default=_recipe_default("val_every"),
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(
            "--checkpoint-every",
            metavar="N",
            help="Write the checkpoint every N iterations.",
            show_default=_recipe_default("checkpoint_every"),
        ),
    ] = None,
    vgg_weights: Annotated[
        Path | None,
        typer.Option(
            "--vgg-weights",
            metavar="FILE",
            help="VGG-16 features state_dict.",
            show_default="$SRBENCH_VGG16, else <weights root>/vgg16/vgg16_features.pth",
        ),
    ] = None,
    weights_root: WeightsRootOpt = None,
    data_root: Annotated[
        Path | None,
        typer.Option(
            "--data-root", metavar="DIR", help="Folder holding set5/ for validation.", show_default="$SRBENCH_DATA"
        ),
    ] = None,
    upsample: Annotated[
        str | None,
        typer.Option(
            "--upsample",
            metavar="MODE",
            help="deconv (the paper's) or nearest (nearest + conv).",
            show_default="deconv (johnson)",
        ),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Start a CPU run estimated over an hour without asking.")
    ] = False,
    progress: ProgressOpt = True,
) -> None:
    """Train a super-resolution network (Johnson et al. 2016 recipe) and export model.safetensors.

    Options left out take the recipe's values, shown as "(value (recipe))" below. The recipe and the run time
    measured on this device are printed before the long part of the run; a CPU run over an hour asks first
    (--yes: don't ask). With --resume, settings and data folders not given again are taken from the run's
    checkpoint; Ctrl-C writes a checkpoint before it stops.
    """
    from srbench.atomic import check_writable
    from srbench.train import get_recipe, train
    from srbench.train.checkpoint import load_checkpoint
    from srbench.train.loop import CHECKPOINT
    from srbench.train.recipe import UPSAMPLE

    if output is not None and out_alias is not None and output != out_alias:
        raise ConfigError(f"--output {output} and --out {out_alias} differ; pass --output only")
    out = output if output is not None else out_alias
    if out is None:
        raise ConfigError("no output folder; pass --output DIR")
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
    config = config.replace(arch_kwargs=arch, **{k: v for k, v in overrides.items() if v is not None})
    if tv_weight is None and not resume:  # the recipe's weight for the chosen loss
        recipe_tv = default_tv_weight(config.recipe, config.loss)
        config = config if recipe_tv is None else config.replace(tv_weight=recipe_tv)
    config = config.validate()
    check_writable(out, folder=True)  # an unwritable --output fails now, in one line
    err = Console(stderr=True)
    err.print(describe_recipe(config, folders, out), markup=False, highlight=False, soft_wrap=True)

    def confirm(estimate: RunEstimate) -> None:
        err.print(estimate.describe(), markup=False, highlight=False, soft_wrap=True)
        if yes or not estimate.device.startswith("cpu") or estimate.seconds <= CONFIRM_CPU_SECONDS:
            return
        long_run = f"this run would take about {format_duration(estimate.seconds)} on the CPU"
        if sys.stdin.isatty() and typer.confirm(f"{long_run}; start it?", default=False, err=True):
            return
        raise ConfigError(
            f"{long_run}; pass --yes to run it anyway, or lower --iterations, or train on a GPU (--device cuda)"
        )

    try:
        result = train(config, [str(d) for d in folders], out, resume=resume, progress=progress, on_estimate=confirm)
    except KeyboardInterrupt:
        if (out / CHECKPOINT).is_file():
            err.print(
                f"[red]interrupted[/red]; the checkpoint is saved; continue with: "
                f"srbench train --output {out} --resume",
                soft_wrap=True, highlight=False,
            )  # fmt: skip
        else:
            err.print("[red]interrupted[/red] before training started; nothing was saved", highlight=False)
        raise typer.Exit(130) from None
    if result.model_path is not None:
        last = result.validation[-1] if result.validation else None
        val = f", {last['dataset']} PSNR {last['psnr']:.3f} dB SSIM {last['ssim']:.4f}" if last else ""
        speed = (
            f"{result.iterations_per_second:.2f} it/s on {result.device}"
            if result.iterations_per_second > 0
            else f"none in this run: exported from the checkpoint, on {result.device}"
        )
        err.print(
            f"trained {result.iterations} iterations ({speed}), "
            f"final loss {result.final_loss:.5g}{val}; weights: {result.model_path}",
            highlight=False,
            soft_wrap=True,
        )
