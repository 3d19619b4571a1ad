"""One CLI dialect (issue 10, point 7) for every command outside ``srbench report``: the same option names and
defaults (``--output/-o``, ``--device auto``, methods as ``-m``), defaults shown in every ``--help``, registered
methods, metrics and architectures listed, no ``<list[str]>`` types, ``shave = scale`` in ``srbench protocols``."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from srbench.cli import app
from srbench.testing.cli import run_cli

#: options whose absence means "not given" and that have nothing to show as a default
NO_DEFAULT = {"--out", "--help", "--version", "--url", "--sr-dir", "--lr-dir", "--strength"}


def _is_option(p: Any) -> bool:
    return getattr(p, "param_type_name", "") == "option"


def _commands() -> dict[str, Any]:
    root = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(cmd: Any, path: str) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                if path == "" and name == "report":
                    continue  # the report family follows the same rules on its own branch
                walk(sub, f"{path} {name}".strip())
        else:
            found[path] = cmd

    walk(root, "")
    return found


COMMANDS = _commands()


def test_the_commands_checked_here_are_all_there() -> None:
    expected = {"eval", "train", "upscale", "protocols", "methods", "metrics", "datasets list", "datasets verify"}
    expected |= {"datasets fetch"} | {f"study {c}" for c in ("create", "serve", "export", "ingest", "analyze")}
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_option_shows_its_default(name: str) -> None:
    checked = 0
    for p in COMMANDS[name].params:
        if not _is_option(p) or p.is_flag or p.hidden or p.opts[0] in NO_DEFAULT:
            continue
        if name == "train" and p.opts[0] == "--output":  # required: there is no default to show
            continue
        shows = isinstance(p.show_default, str) or (p.show_default is not False and p.default is not None)
        assert shows, f"{name} {p.opts[0]}: its default is not shown in --help"
        checked += 1
    assert checked or name in ("protocols", "methods", "metrics", "study slots release", "study link-prolific"), name


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_same_names_and_defaults_everywhere(name: str) -> None:
    opts = {o: p for p in COMMANDS[name].params if _is_option(p) for o in p.opts}
    if "--output" in opts:
        assert "-o" in opts["--output"].opts, name
    assert "--out" not in opts or opts["--out"].hidden, f"{name}: --out is the old name of --output/-o"
    if "--device" in opts:
        device = opts["--device"]
        shown = device.show_default if isinstance(device.show_default, str) else device.default
        assert shown == "auto" and device.default in ("auto", None), name
    if "--method" in opts:
        assert "-m" in opts["--method"].opts, name
    if "--scale" in opts:
        assert "-s" in opts["--scale"].opts, name


#: options declared once in srbench.commands.options; (option, command) pairs that mean something narrower there:
#: train's data root holds only its validation set and its device default comes from the recipe, upscale takes one
#: method, not a repeatable list
SHARED = ("--data-root", "--weights-root", "--device", "--method", "--sr-dir", "--progress")
OWN_HELP = {("--data-root", "train"), ("--device", "train"), ("--method", "upscale")}


@pytest.mark.parametrize("option", SHARED)
def test_shared_options_read_the_same_in_every_command(option: str) -> None:
    seen: dict[tuple[Any, ...], list[str]] = {}
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            if _is_option(p) and option in p.opts and (option, name) not in OWN_HELP:
                key = (tuple(p.opts), tuple(p.secondary_opts), p.metavar, p.help, p.show_default)
                seen.setdefault(key, []).append(name)
    assert len(seen) == 1, f"{option} is declared {len(seen)} ways: {list(seen.values())}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_prints_no_python_types(name: str, monkeypatch, capsys) -> None:
    code, out, _ = run_cli([*name.split(), "--help"], monkeypatch, capsys)
    assert code == 0
    assert "<list" not in out and "list[" not in out and "NoneType" not in out
    assert "<bool>" not in out, f"{name}: a flag takes no value, so help shows no type for it"


def test_registered_methods_metrics_and_architectures_are_listed_in_help(monkeypatch, capsys) -> None:
    from srbench.methods import METHODS
    from srbench.metrics import METRICS
    from srbench.models.registry import ARCHITECTURES

    def opt(cmd: str, flag: str) -> str:
        return next(p.help for p in COMMANDS[cmd].params if _is_option(p) and flag in p.opts) or ""

    for m in METHODS.names():
        assert m in opt("eval", "--method") and m in opt("upscale", "--method") and m in opt("study create", "-m")
    for m in METRICS.names():
        assert m in opt("eval", "--metric")
    for a in ARCHITECTURES.names():
        assert a in opt("train", "--model")


def test_protocols_says_shave_equals_scale_not_minus_one(monkeypatch, capsys) -> None:
    code, out, _ = run_cli(["protocols"], monkeypatch, capsys)
    assert code == 0
    shave = next(line for line in out.splitlines() if "shave" in line)
    assert "= scale" in shave and "-1" not in shave
