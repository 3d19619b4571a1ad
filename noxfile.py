"""Developer sessions: ``nox -s tests lint typecheck bench`` (add ``--no-venv`` to use the current environment)."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared", "datasets")


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (data root from $SRBENCH_DATA, else ../shared/datasets when present)."""
    session.install("-e", ".[dev]")
    env = {}
    if "SRBENCH_DATA" not in os.environ and os.path.isdir(SHARED):
        env["SRBENCH_DATA"] = SHARED
    session.run("python", "-m", "pytest", *session.posargs, env=env)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install("ruff")
    session.run("ruff", "check", "srbench", "tests", "benchmarks", "scripts", "noxfile.py")
    session.run("ruff", "format", "--check", "srbench", "tests", "benchmarks", "scripts", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over the package."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed of srbench eval against a straightforward per-image loop, as ratios measured in one run."""
    session.install("-e", ".[dev]")
    env = {}
    if "SRBENCH_DATA" not in os.environ and os.path.isdir(SHARED):
        env["SRBENCH_DATA"] = SHARED
    session.run("python", "benchmarks/bench_eval.py", *session.posargs, env=env)


@nox.session
def reports(session: nox.Session) -> None:
    """Regenerate reports/ (leaderboard and the paper's tables) from the committed store reports/store."""
    session.install("-e", ".")
    session.run("srbench", "report", "build", "--store", "reports/store", "--out", "reports")
