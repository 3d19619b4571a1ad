"""``srbench --help`` and every subcommand's ``--help`` import neither torch nor numpy nor numba (issue 12).

Importing torch alone takes seconds; a help text should not. The CLI modules import heavy modules inside the
command functions, and the help texts read names and defaults from plain-data modules (:mod:`srbench.builtin`,
:mod:`srbench.train.recipe`, :mod:`srbench.tiling`). Each check runs in a fresh interpreter, since this test
process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import srbench

#: modules no ``--help`` may import (torch, numpy and numba by the issue; the others are as heavy)
HEAVY = ("torch", "numpy", "numba", "pandas", "scipy", "matplotlib")

ROOT = Path(srbench.__file__).resolve().parents[1]

#: run in a fresh interpreter: every command's --help, in the order of the command tree, through the real entry
#: point; prints {command: heavy modules first imported by its --help}
WALK = f"""
import contextlib, io, json, sys
import typer
from srbench import cli
HEAVY = {HEAVY!r}
paths = []
def walk(cmd, path):
    paths.append(path)
    for name, sub in sorted(getattr(cmd, "commands", {{}}).items()):
        walk(sub, [*path, name])
walk(typer.main.get_command(cli.app), [])
seen = {{m for m in HEAVY if m in sys.modules}}
found = {{"(import srbench.cli)": sorted(seen)}}
for path in paths:
    sys.argv = ["srbench", *path, "--help"]
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main()
        except SystemExit as exc:
            assert not exc.code, (path, exc.code)
    new = {{m for m in HEAVY if m in sys.modules}} - seen
    found[" ".join(["srbench", *path, "--help"])] = sorted(new)
    seen |= new
print(json.dumps(found))
"""

#: ``srbench --help`` alone, as the console script runs it
ROOT_HELP = f"""
import contextlib, io, json, sys
sys.argv = ["srbench", "--help"]
from srbench.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, exc.code
assert "Usage" in out.getvalue()
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def _run(code: str) -> object:
    path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_srbench_help_imports_no_heavy_module() -> None:
    assert _run(ROOT_HELP) == []


def test_no_subcommand_help_imports_a_heavy_module() -> None:
    found = _run(WALK)
    assert isinstance(found, dict)
    assert len(found) > 25  # the whole tree was walked: eval, train, upscale, study ..., report ..., datasets ...
    assert "srbench study create --help" in found and "srbench report build --help" in found
    offenders = {command: modules for command, modules in found.items() if modules}
    assert not offenders, f"--help imported heavy modules (command: modules it imported first): {offenders}"
