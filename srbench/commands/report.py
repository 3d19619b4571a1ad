"""``srbench report``: tables from the result store (leaderboard, the paper's layouts), and ``report build``.

``srbench report`` prints; ``--format`` picks rich (terminal), markdown, latex, csv or html and ``--output FILE``
writes the file atomically (format from the suffix when ``--format`` is not given).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from srbench.commands.options import DataRootOpt, DeviceOpt

if TYPE_CHECKING:
    import pandas as pd

out = Console()
err = Console(stderr=True)

report_app = typer.Typer(
    help="Tables from the result store: leaderboards, the paper's layout, published vs reproduced, statistics.",
    invoke_without_command=True,
)

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        help="Result store folder (default: $SRBENCH_STORE or ~/.local/share/srbench/store).", show_default=False
    ),
]
ProtocolOpt = Annotated[
    str | None,
    typer.Option(
        "--protocol",
        help="Keep only rows of this protocol: a name (standard, standard+lr-dir, ...) or a key "
        "(default: every protocol, one table each).",
        show_default=False,
    ),
]
#: deprecated spelling of --output (figure, chart and build used --out); hidden from help
OutAlias = Annotated[Path | None, typer.Option("--out", hidden=True)]


def _output(output: Path | None, out_alias: Path | None, default: Path | None = None) -> Path:
    """``--output`` or its deprecated alias ``--out``; a one-line error when neither is given and no default."""
    from srbench.errors import ConfigError

    if output is not None and out_alias is not None and output != out_alias:
        raise ConfigError("--out is the old spelling of --output; pass only --output/-o")
    chosen = output or out_alias or default
    if chosen is None:
        raise ConfigError("missing --output/-o PATH: where to write the files (without suffix: .png and .pdf)")
    return chosen


@report_app.callback(invoke_without_command=True)
def report_command(
    ctx: typer.Context,
    store: StoreOpt = None,
    layout: Annotated[
        str, typer.Option(help="leaderboard, paper (Fig. 8/9), published (paper vs ours), supplementary, all.")
    ] = "leaderboard",
    scale: Annotated[list[int] | None, typer.Option("--scale", "-s", help="Scales to show (default: all).")] = None,
    dataset: Annotated[list[str] | None, typer.Option("--dataset", "-d", help="Datasets (default: all).")] = None,
    method: Annotated[list[str] | None, typer.Option("--method", "-m", help="Methods (default: all).")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Metrics (default: every complete one).")] = None,
    sort: Annotated[str | None, typer.Option(help="Sort by METRIC or DATASET:METRIC (best first).")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="rich, markdown, latex, csv or html.", show_default=False)
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead.")] = None,
    side_by_side: Annotated[
        bool, typer.Option("--side-by-side", help="Show rows of different protocols as separate entries.")
    ] = False,
    protocol: ProtocolOpt = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="Paper column mapping ROLE=METHOD, e.g. l_pixel=my-model.")
    ] = None,
) -> None:
    """Print the leaderboard (or the paper's layout) of the results in the store."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"store": store}  # `srbench report --store S compare` means the store S
        return
    from srbench.atomic import atomic_path
    from srbench.report.formats import format_for_path, render_table, rich_tables
    from srbench.report.layouts import report_tables
    from srbench.report.paper import parse_roles
    from srbench.results.store import ResultStore

    rows = ResultStore(store).rows()
    tables = report_tables(
        rows, layout, scale, dataset, method, metric, sort, side_by_side, protocol, parse_roles(role or [])
    )
    kind = fmt or (format_for_path(str(output)) if output is not None else "rich")
    if output is None and kind == "rich":
        term = Console()  # the terminal's width now ($COLUMNS), not when this module was imported
        for t in tables:
            for part in rich_tables(t, term.width):
                term.print(part)
            for note in t.footnotes:
                term.print(note, highlight=False, markup=False)
            term.print()
        return
    text = "\n".join(render_table(t, kind) for t in tables)
    if output is None:
        typer.echo(text, nl=False)
        return
    with atomic_path(output) as tmp:
        tmp.write_text(text, encoding="utf-8")
    err.print(f"[dim]wrote {output}[/dim]")


@report_app.command("build")
def build_command(
    store: Annotated[Path, typer.Option(help="Result store to build from.")] = Path("reports/store"),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the report files.")] = Path(
        "reports"
    ),
    out_alias: OutAlias = None,
    check: Annotated[
        bool, typer.Option(help="Do not write: exit 1 if the files in --output are not what the store gives.")
    ] = False,
    protocol: ProtocolOpt = None,
) -> None:
    """Write the committed leaderboard and paper tables (Markdown, LaTeX, CSV) from a result store."""
    import tempfile

    from srbench.report.build import build_command_line, build_reports, check_reports

    out_dir = _output(None if out_alias is not None else output, out_alias)
    command = build_command_line(store, out_dir, protocol)
    if check:
        with tempfile.TemporaryDirectory() as scratch:
            stale = check_reports(store, out_dir, scratch, protocol=protocol)
        if stale:
            err.print(f"[red]out of date with {store}:[/red] {', '.join(stale)}; regenerate with `{command}`")
            raise typer.Exit(1)
        out.print(f"{out_dir} is up to date with {store}")
        return
    for p in build_reports(store, out_dir, command, protocol):
        out.print(f"wrote {p}")


def _store_rows(ctx: typer.Context, store: Path | None) -> pd.DataFrame:
    """Rows of ``--store`` given to the subcommand, else to ``srbench report`` (``report --store S compare``)."""
    from srbench.results.store import ResultStore

    if store is None and isinstance(ctx.obj, dict):
        store = ctx.obj.get("store")
    return ResultStore(store).rows()


@report_app.command("compare")
def compare_cmd(
    ctx: typer.Context,
    method: Annotated[
        list[str] | None,
        typer.Option(
            "--method", "-m", help="Exactly two methods, -m A -m B (default: every pair).", show_default=False
        ),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Dataset (default: all).", show_default=False)
    ] = None,
    scale: Annotated[
        int | None, typer.Option("--scale", "-s", help="Scale (default: all).", show_default=False)
    ] = None,
    metric: Annotated[str, typer.Option(help="Metric to compare.")] = "psnr",
    fmt: Annotated[str, typer.Option("--format", "-f", help="rich, markdown, latex, csv or html.")] = "rich",
    n_boot: Annotated[int, typer.Option(min=100, help="Bootstrap resamples.")] = 10000,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="Confidence level of the interval.")] = 0.95,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    protocol: ProtocolOpt = None,
    store: StoreOpt = None,
    method_a: Annotated[str | None, typer.Option("--a", hidden=True)] = None,
    method_b: Annotated[str | None, typer.Option("--b", hidden=True)] = None,
) -> None:
    """Paired per-image differences of two methods: bootstrap CI of the mean and Wilcoxon signed-rank p."""
    from srbench.commands.report_extras import compare_command

    methods = [*(method or []), *(m for m in (method_a, method_b) if m is not None)]
    text = compare_command(
        _store_rows(ctx, store),
        methods,
        dataset,
        scale,
        metric,
        fmt,
        protocol=protocol,
        n_boot=n_boot,
        confidence=confidence,
        seed=seed,
    )
    typer.echo(text, nl=not text.endswith("\n"))


@report_app.command("figure")
def figure_cmd(
    dataset: Annotated[str, typer.Argument(help="Dataset name or folder.", show_default=False)],
    image: Annotated[str, typer.Argument(help="Image id (file stem).", show_default=False)],
    method: Annotated[list[str], typer.Option("--method", "-m", help="Methods to show (repeat).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output path without suffix (.png and .pdf).", show_default=False),
    ] = None,
    out_alias: OutAlias = None,
    scale: Annotated[int, typer.Option("--scale", "-s", help="Scale factor.")] = 4,
    box: Annotated[
        tuple[int, int, int, int] | None,
        typer.Option(help="Crop TOP LEFT HEIGHT WIDTH in HR pixels (default: automatic).", show_default=False),
    ] = None,
    protocol: Annotated[
        str, typer.Option(help="Protocol: a preset, a preset's key or PRESET+setting=value (see srbench protocols).")
    ] = "standard",
    device: DeviceOpt = "auto",
    display: Annotated[str, typer.Option(help="auto, rgb or y panels.")] = "auto",
    data_root: DataRootOpt = None,
) -> None:
    """A Fig. 8-style visual comparison: the HR crop and each method's crop, captioned with PSNR / SSIM."""
    from srbench.commands.report_extras import figure_command
    from srbench.config import data_root as resolve_root

    if display not in ("auto", "rgb", "y"):
        from srbench.errors import ConfigError

        raise ConfigError(f"--display {display}: use auto, rgb or y")
    text = figure_command(
        dataset,
        image,
        scale,
        method,
        _output(output, out_alias),
        box=box,
        protocol=protocol,
        device=device,
        display=display,  # type: ignore[arg-type]
        data_root=resolve_root(data_root),
    )
    typer.echo(text)


@report_app.command("chart")
def chart_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Output path without suffix (.png and .pdf).", show_default=False),
    ] = None,
    out_alias: OutAlias = None,
    metric: Annotated[str, typer.Option(help="Metric to chart.")] = "psnr",
    scale: Annotated[
        int | None, typer.Option("--scale", "-s", help="Scale (default: the only one).", show_default=False)
    ] = None,
    protocol: ProtocolOpt = None,
    store: StoreOpt = None,
) -> None:
    """A bar chart of a metric's mean by method and dataset, with 95 % bootstrap intervals (one per protocol)."""
    from srbench.commands.report_extras import chart_command

    rows = _store_rows(ctx, store)
    typer.echo(chart_command(rows, metric, _output(output, out_alias), scale=scale, protocol=protocol))
