"""Run the ``srbench`` command line in-process from tests: the real entry point, its exit status and output."""

from __future__ import annotations

import sys

import pytest


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: int = 200
) -> tuple[int, str, str]:
    """Run ``srbench ARGS`` through :func:`srbench.cli.main` in a terminal ``columns`` wide; return (exit status,
    stdout, stderr)."""
    from srbench import cli

    monkeypatch.setattr(sys, "argv", ["srbench", *args])
    monkeypatch.setenv("COLUMNS", str(columns))
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    """Exit status 2, no traceback, one ``error:`` message (wrapped lines joined) containing every needle."""
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    text = " ".join(lines)
    assert "Traceback" not in err
    assert text.startswith("error:")
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
