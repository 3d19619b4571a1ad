"""The ``srbench`` command line: parses options and calls the Python API; nothing else lives here.

User mistakes raise :class:`srbench.errors.SrbenchError`; :func:`main` prints its one-line message to stderr and
exits with status 2, without a traceback.
"""

from __future__ import annotations

import errno
import os
import re
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from srbench import __version__, builtin
from srbench.commands.common import default_datasets, progress_bars
from srbench.commands.degrade import degrade_command
from srbench.commands.options import DataRootOpt, DeviceOpt, MethodsOpt, ProgressOpt, SrDirsOpt, WeightsRootOpt
from srbench.commands.report import report_app
from srbench.commands.study import study_app
from srbench.commands.train import train_command
from srbench.commands.upscale import upscale_command
from srbench.config import data_root as resolve_data_root
from srbench.errors import ConfigError, SrbenchError, access_error


def _readable_list_types() -> None:
    """Typer prints the type of a repeatable parameter as ``<list[str]>``; show ``<str>...`` instead, and no type for a
    flag (``<bool>``).

    Options set a ``metavar`` of their own; this covers positional arguments (``datasets fetch [NAME]...``).
    """
    param = getattr(getattr(typer, "core", None), "_TyperParameter", None)
    original = getattr(param, "display_type", None)
    if param is None or original is None or getattr(original, "_srbench", False):
        return

    def display_type(self: Any, ctx: Any) -> Any:
        text = original(self, ctx)
        if text == "<bool>":  # a flag (--help, --progress/--no-progress) takes no value: no type to show
            return ""
        return re.sub(r"^<list\[(.+)\]>$", r"<\1>...", text) if isinstance(text, str) else text

    display_type._srbench = True  # type: ignore[attr-defined]
    param.display_type = display_type


_readable_list_types()

app = typer.Typer(
    name="srbench",
    help="Benchmark single-image super-resolution with the literature's exact protocol.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
datasets_app = typer.Typer(help="List, verify and download benchmark datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")

out = Console()
err = Console(stderr=True)


def _metric_names() -> list[str]:
    """Registered metric names, for help texts."""
    return list(builtin.METRICS)


def _dataset_names() -> list[str]:
    return [*builtin.DATASETS, builtin.DEMO_DATASET]


def _export_weights_root(option: Path | None) -> None:
    """Make ``--weights-root`` visible to method factories, which read ``$SRBENCH_WEIGHTS``."""
    from srbench.config import WEIGHTS_ENV, weights_root

    root = weights_root(option)
    if root is not None:
        os.environ[WEIGHTS_ENV] = str(root)


def _version(value: bool) -> None:
    if value:
        out.print(f"srbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """srbench: numbers you can put in a paper."""


@app.command("eval")
def eval_cmd(
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            "-d",
            metavar="NAME|DIR",
            help=f"Dataset ({', '.join(_dataset_names())}) or a folder of HR images; repeatable.",
            show_default="every dataset present under the data root, else demo",
        ),
    ] = None,
    scale: Annotated[
        list[int] | None,
        typer.Option(
            "--scale", "-s", metavar="SCALE", help="Scale factor: 2, 3, 4 or 8; repeatable.", show_default="4"
        ),
    ] = None,
    method: MethodsOpt = None,
    sr_dir: SrDirsOpt = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="METRIC",
            help=f"Metric: {', '.join(_metric_names())} (`srbench metrics`); repeatable.",
            show_default="psnr, ssim, fsim, vif",
        ),
    ] = None,
    protocol: Annotated[str, typer.Option(metavar="NAME", help="Protocol preset (see `srbench protocols`).")] = (
        "standard"
    ),
    degradation: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Override: bicubic or blur-bicubic.", show_default="the protocol's"),
    ] = None,
    y_rounding: Annotated[
        str | None,
        typer.Option(metavar="MODE", help="Override: round (uint8 rgb2ycbcr) or float.", show_default="the protocol's"),
    ] = None,
    grayscale: Annotated[
        str | None, typer.Option(metavar="MODE", help="Override: as-y or replicate.", show_default="the protocol's")
    ] = None,
    shave: Annotated[
        int | None,
        typer.Option(metavar="PIXELS", help="Override: border pixels to drop.", show_default="the protocol's: = scale"),
    ] = None,
    histmatch: Annotated[
        str | None,
        typer.Option(
            metavar="MODE", help="Override: none, rgb or y histogram matching.", show_default="the protocol's"
        ),
    ] = None,
    lr_dir: Annotated[
        str | None,
        typer.Option(
            "--lr-dir",
            metavar="DIR",
            help="Given LR images instead of the degradation; {dataset} and {scale} expand.",
            show_default=False,
        ),
    ] = None,
    save_sr: Annotated[
        Path | None,
        typer.Option(
            "--save-sr",
            help="Keep the scored SR images as 8-bit PNG in DIR/<method>/<dataset>/x<scale>/ (for --sr-dir).",
            show_default="not kept",
        ),
    ] = None,
    data_root: DataRootOpt = None,
    weights_root: WeightsRootOpt = None,
    device: DeviceOpt = "auto",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="CSV of per-image results; finished work is reused.", show_default="none"),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR", help="Result store folder.", show_default="$SRBENCH_STORE, else ~/.local/share/srbench/store"
        ),
    ] = None,
    use_store: Annotated[
        bool, typer.Option("--use-store/--no-store", help="Add the rows to the result store and reuse stored groups.")
    ] = True,
    batch: Annotated[int, typer.Option(min=1, metavar="N", help="Images per method call.")] = 8,
    threads: Annotated[
        int, typer.Option(min=0, metavar="N", help="torch CPU threads while scoring (0: torch's default).")
    ] = 1,
    workers: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="Worker threads over image groups (0: the CPU cores, at most 4; 1 on a GPU)."
        ),
    ] = 0,
    profile: Annotated[bool, typer.Option(help="Print where the time went.")] = False,
    progress: ProgressOpt = True,
) -> None:
    """Score SR methods on datasets; prints a table of means and writes per-image rows with --output."""
    # torch is not imported here, nor by these modules: it is imported when the run needs it (a registered method or
    # a weights file, a metric other than PSNR/SSIM, a device other than "cpu", the general path), so that
    # `srbench eval --sr-dir DIR --metric psnr --metric ssim --device cpu` runs without it (the lean path,
    # srbench.evaluate.lean; pinned by tests/evaluate/test_lean_imports.py)
    from srbench.atomic import check_writable
    from srbench.data.datasets import resolve_datasets
    from srbench.device import device_name_or_resolved
    from srbench.evaluate import EvalRequest, evaluate
    from srbench.evaluate.request import DEFAULT_METRICS, check_scale
    from srbench.methods.base import distinct_methods
    from srbench.methods.srdir import SrDirMethod
    from srbench.metrics import METRICS
    from srbench.protocol.record import get_protocol, protocol_label
    from srbench.report.console import leaderboard_table, timing_table
    from srbench.report.leaderboard import means
    from srbench.results.store import ResultStore

    root = resolve_data_root(data_root)
    _export_weights_root(weights_root)
    scales = scale or [4]
    for s in scales:
        check_scale(s)
    names = dataset or default_datasets(root)
    metrics = metric or list(DEFAULT_METRICS)
    for m in metrics:
        METRICS.get(m)  # unknown names fail before any work
    proto = get_protocol(protocol)
    overrides = {
        k: v
        for k, v in {
            "degradation": degradation,
            "y_rounding": y_rounding,
            "grayscale": grayscale,
            "shave": shave,
            "histmatch": histmatch,
        }.items()
        if v is not None
    }
    if overrides:
        proto = proto.replace(**overrides)
    specs = method or ([] if sr_dir else ["bicubic", "nearest"])
    methods = []
    if specs:
        from srbench.methods import resolve_method

        methods = [resolve_method(m) for m in specs]
    methods += [SrDirMethod(d) for d in sr_dir or []]
    methods = distinct_methods(methods)
    dev = device_name_or_resolved(device)
    datasets = resolve_datasets(names, root)
    result_store = ResultStore(store) if use_store else None
    if output is not None:
        check_writable(output)  # fail now, in one line, rather than after the first finished group
    if result_store is not None:
        check_writable(result_store.root, folder=True)
    if dataset is None and root is None:
        err.print("[dim]no data root configured (--data-root / SRBENCH_DATA): using the embedded demo dataset[/dim]")
    request = EvalRequest(
        datasets,
        methods,
        scales,
        metrics,
        proto,
        dev,
        output=output,
        store=result_store,
        lr_dir=lr_dir,
        save_sr=save_sr,
        batch=batch,
        threads=threads or None,
        workers=workers or None,
    )
    try:
        with progress_bars(progress) as bar:
            result = evaluate(request, progress=bar)
    except KeyboardInterrupt:
        where = " and ".join(str(p) for p in (output, result_store.root if result_store else None) if p is not None)
        saved = f"; finished groups are saved in {where}, re-run the same command to resume" if where else ""
        err.print(f"[red]interrupted[/red]{escape(saved)}", soft_wrap=True, highlight=False)
        raise typer.Exit(130) from None
    table = means(result.rows, metrics)
    shaved = "scale" if proto.shave == -1 else proto.shave
    stored = result.rows.drop_duplicates("protocol_key") if not result.rows.empty else None
    keys = (
        ", ".join(f"{r.protocol_name} [{r.protocol_key}]" for r in stored.itertuples())
        if stored is not None
        else f"{protocol_label(proto)} [{proto.key()}]"
    )
    title = f"Protocol {keys}, Y channel (BT.601), shave = {shaved}"
    for part in leaderboard_table(table, metrics, title, Console().width):
        out.print(part)
    notes = []
    if result.reused_groups:
        notes.append(
            f"{result.reused_groups} of {result.reused_groups + result.computed_groups} groups reused from earlier runs"
        )
    if output is not None:
        notes.append(f"per-image rows: {output}")
    if result_store is not None:
        notes.append(f"result store: {result_store.root}")
    if notes:
        err.print("[dim]" + "; ".join(notes) + "[/dim]")
    if profile:
        out.print(timing_table(result.timings, len(result.rows)))


def _setting_text(field: str, value: object) -> str:
    """A protocol setting as ``srbench protocols`` shows it (``shave -1`` is stored; it means "the scale")."""
    if field == "shave" and value == -1:
        return "= scale"
    return str(value)


@app.command("protocols")
def protocols_cmd() -> None:
    """List the protocol presets and every setting they record."""
    from srbench.protocol.record import PROTOCOLS

    t = Table(header_style="bold")
    t.add_column("Setting")
    for name in PROTOCOLS:
        t.add_column(name)
    fields = [f for f in PROTOCOLS["standard"].to_dict() if f != "name"]
    for f in fields:
        t.add_row(f, *[_setting_text(f, p.to_dict()[f]) for p in PROTOCOLS.values()])
    t.add_row("key", *[p.key() for p in PROTOCOLS.values()], style="dim")
    out.print(t)


@app.command("methods")
def methods_cmd() -> None:
    """List registered methods."""
    from srbench.methods import METHODS

    t = Table(header_style="bold")
    for col in ("Method", "Space", "Description"):
        t.add_column(col)
    for name in METHODS.names():
        try:
            m = METHODS.get(name)()
        except SrbenchError as exc:  # e.g. weights not configured: list it with the reason
            t.add_row(name, "-", f"[dim]unavailable: {escape(str(exc))}[/dim]")
            continue
        t.add_row(name, m.space, escape(m.description))
    for alias, name in METHODS.aliases().items():
        t.add_row(alias, "-", f"alias of {name} (results are stored and shown as {name})")
    out.print(t)


@app.command("metrics")
def metrics_cmd() -> None:
    """List registered metrics and their settings."""
    from srbench.metrics import METRICS

    for name in METRICS.names():
        s = METRICS.get(name)
        settings = ", ".join(f"{k}={v}" for k, v in s.settings.items())
        out.print(f"[bold]{name}[/bold] ({s.label}): {settings}")


@datasets_app.command("list")
def datasets_list(data_root: DataRootOpt = None) -> None:
    """List registered datasets and whether they are present under the data root."""
    from srbench.data.datasets import CATALOGUED, DEMO_IMAGES, CatalogSpec

    root = resolve_data_root(data_root)
    t = Table(header_style="bold")
    for col in ("Name", "Images", "Present", "Source"):
        t.add_column(col)
    for name in CATALOGUED:
        spec = CatalogSpec.load(name)
        present = "-" if root is None else ("yes" if (root / name / "hr").is_dir() else "no")
        t.add_row(name, str(len(spec.images)), present, spec.citation)
    t.add_row("demo", str(len(DEMO_IMAGES)), "embedded", "scikit-image sample images")
    out.print(t)
    if root is None:
        err.print("[dim]no data root configured: pass --data-root or set SRBENCH_DATA[/dim]")


def _catalog_names(names: list[str] | None) -> list[str]:
    from srbench.data.datasets import CATALOGUED

    chosen = names or list(CATALOGUED)
    for n in chosen:
        if n.lower() not in CATALOGUED:
            raise ConfigError(f"unknown dataset {n!r}; choose from {', '.join(CATALOGUED)}")
    return [n.lower() for n in chosen]


def _require_root(data_root: Path | None) -> Path:
    root = resolve_data_root(data_root)
    if root is None:
        raise ConfigError("no data root configured; pass --data-root DIR or set SRBENCH_DATA")
    return root


@datasets_app.command("verify")
def datasets_verify(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[NAME]...", help="Datasets to check.", show_default="all catalogued"),
    ] = None,
    data_root: DataRootOpt = None,
) -> None:
    """Check every catalogued file: names each missing, corrupt or modified one."""
    from srbench.data.datasets import CatalogSpec
    from srbench.data.verify import verify_dataset

    root = _require_root(data_root)
    ok = True
    for n in _catalog_names(names):
        report = verify_dataset(CatalogSpec.load(n), root)
        for line in report.lines():
            (out if report.ok else err).print(line, markup=False, highlight=False)
        ok &= report.ok
    if not ok:
        raise typer.Exit(1)


@datasets_app.command("fetch")
def datasets_fetch(
    names: Annotated[
        list[str] | None,
        typer.Argument(metavar="[NAME]...", help="Datasets to download.", show_default="all catalogued"),
    ] = None,
    data_root: DataRootOpt = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            metavar="URL|DIR",
            help="Base URL or folder laid out as <mirror>/<dataset>/...",
            show_default="$SRBENCH_MIRROR, else the catalog's sources",
        ),
    ] = None,
    progress: ProgressOpt = True,
) -> None:
    """Download datasets into the data root (sha256-checked, resumable, atomic)."""
    from srbench.data.datasets import CatalogSpec
    from srbench.data.fetch import fetch_dataset

    root = _require_root(data_root)
    ok = True
    for n in _catalog_names(names):
        report = fetch_dataset(CatalogSpec.load(n), root, mirror=mirror, progress=progress)
        for line in report.lines():
            (out if report.ok else err).print(line, markup=False, highlight=False)
        ok &= report.ok
    if not ok:
        raise typer.Exit(1)


app.add_typer(report_app, name="report")
app.add_typer(study_app, name="study")

app.command("train", help="Train an SR network (Johnson et al. 2016 recipe; resumable).")(train_command)
app.command("degrade", help="Write a protocol's LR images (+ manifest) for datasets or a folder.")(degrade_command)
app.command("upscale", help="Upscale an image or a folder with any method (tiled; optional histogram matching).")(
    upscale_command
)


def main() -> None:
    """Console entry point: runs the app and turns user errors into one line and exit status 2.

    After Ctrl-C (exit status 130) the process ends at once, even while an evaluation worker thread is still
    inside a stage: everything finished is already written (atomically), and Python would otherwise wait for
    the thread at exit.
    """
    try:
        app()
    except SystemExit as exc:
        if exc.code == 130 and any(t.name.startswith("srbench-") and t.is_alive() for t in threading.enumerate()):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        raise
    except SrbenchError as exc:
        _print_error(exc)
    except OSError as exc:  # a file the OS refused that no command anticipated: still one line naming it
        if exc.filename is None or exc.errno not in _ACCESS_ERRNOS:
            raise
        _print_error(access_error(exc.filename, "access", exc))


_ACCESS_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.ENOTDIR, errno.EISDIR, errno.EEXIST)


def _print_error(exc: SrbenchError) -> None:
    err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
