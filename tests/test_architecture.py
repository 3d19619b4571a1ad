"""The import contracts of ``[tool.importlinter]`` in pyproject.toml hold (``lint-imports``; README, Architecture).

Layers from the bottom: errors; atomic, builtin, config, device, kernels, registry; data, losses, postprocess,
protocol, tiling; metrics, models; methods; inference; evaluate; report, train; study; commands; cli; testing.
Every import points down, no two sibling modules import each other (directly or through others), and the Python
API never imports typer. Each contract is checked on its own, in a fresh interpreter started in the repository
root, so a failure names the contract and prints import-linter's report of the imports that break it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import srbench

pytest.importorskip("importlinter", reason="import-linter is a dev dependency: pip install -e '.[dev]'")

ROOT = Path(srbench.__file__).resolve().parents[1]
CONTRACTS = [c["id"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]]

#: contracts that do not hold yet, with the reason
PENDING: dict[str, str] = {}

LINT = (
    "import sys\n"
    "from importlinter.cli import lint_imports\n"
    "sys.exit(lint_imports(limit_to_contracts=(sys.argv[1],), no_cache=True, no_logo=True))\n"
)


def test_every_layer_contract_is_checked_here() -> None:
    assert {"layers", "acyclic", "api-without-cli"} <= set(CONTRACTS)


@pytest.mark.parametrize(
    "contract",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=PENDING[c], strict=True)) if c in PENDING else c
        for c in CONTRACTS
    ],
)
def test_import_contract_is_kept(contract: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's srbench, whatever is installed
    proc = subprocess.run(
        [sys.executable, "-c", LINT, contract], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"lint-imports --contract {contract}:\n{proc.stdout[-6000:]}{proc.stderr[-3000:]}"
