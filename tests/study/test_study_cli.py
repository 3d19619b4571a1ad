"""``srbench study`` end to end through the CLI: create -> simulate -> analyze -> export; one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from srbench.cli import app, main


def test_create_simulate_analyze_export_through_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "s"
    r = runner.invoke(
        app,
        [
            "study",
            "create",
            str(folder),
            "--crop",
            "16",
            "--images",
            "2",
            "--crops-per-image",
            "3",
            "--trials-per-worker",
            "3",
            "--seed",
            "2",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["study", "simulate", str(folder), "--preference", "0.9", "--attention", "1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["study", "analyze", str(folder), "--format", "latex", "--bootstrap", "200"])
    assert r.exit_code == 0, r.output
    printed = " ".join(r.output.split())
    assert "wilson_low" not in printed and "binom_p" not in printed  # headers for people, not column names
    assert "Wilson" in printed and "binomial" in printed
    assert "95\\% CI low (Wilson)" in (folder / "analysis" / "pairs.tex").read_text()
    files = {p.name for p in (folder / "analysis").iterdir()}
    assert {"pairs.tex", "bradley_terry.tex", "workers.tex", "summary.json", "chart.png"} <= files
    assert (folder / "analysis" / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((folder / "analysis" / "summary.json").read_text())
    assert summary["votes_total"] > 0
    r = runner.invoke(app, ["study", "export", str(folder), "--url", "https://x.example/"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["study", "simulate", "--power", "--images", "10", "--sims", "5", "--preference", "0.9"])
    assert r.exit_code == 0 and "power" in r.output


def test_user_mistakes_exit_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["srbench", "study", "analyze", str(tmp_path / "nope")])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "no study spec" in err and len(err.splitlines()) == 1
    monkeypatch.setattr(sys, "argv", ["srbench", "study", "ingest", str(tmp_path)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2 and "no trial plan" in capsys.readouterr().err


def test_deployment_mistakes_end_in_one_line_and_status_2(
    study: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from srbench.testing.cli import assert_one_line_error, run_cli

    bad = tmp_path / "design.yaml"
    bad.write_text("platforms: [mturk, myspace]\n")
    code, _, err = run_cli(["study", "create", str(tmp_path / "s"), "--spec", str(bad)], monkeypatch, capsys)
    assert_one_line_error(code, err, str(bad), "platforms.1")
    code, _, err = run_cli(["study", "export", str(study), "--url", "https://x.example/"], monkeypatch, capsys)
    assert_one_line_error(code, err, "anonymous web platform", "--platform mturk")
    code, _, err = run_cli(["study", "publish", str(study), "--url", "https://x.example/"], monkeypatch, capsys)
    assert_one_line_error(code, err, "--mturk")
    code, _, err = run_cli(["study", "slots", "list", str(study)], monkeypatch, capsys)
    assert_one_line_error(code, err, "no study database")
    cert = tmp_path / "cert.pem"
    code, _, err = run_cli(["study", "serve", str(study), "--ssl-certfile", str(cert)], monkeypatch, capsys)
    assert_one_line_error(code, err, "--ssl-keyfile")
    code, _, err = run_cli(["study", "serve", str(tmp_path / "nothing")], monkeypatch, capsys)
    assert_one_line_error(code, err, "no study spec")


def test_simulate_power_honours_every_option_and_solves_for_images(tmp_path: Path) -> None:
    runner = CliRunner()
    csv = tmp_path / "power.csv"
    base = ["study", "simulate", "--power", "--images", "12", "--sims", "6", "--attention", "1", "-o", str(csv)]

    def run(*extra: str) -> str:
        r = runner.invoke(app, [*base, *extra])
        assert r.exit_code == 0, r.output
        return csv.read_text()

    plain = run("--preference", "0.7")
    assert run("--preference", "0.7") == plain  # seeded
    for extra in (
        ["--image-sd", "3"],
        ["--trials-per-worker", "3"],
        ["--sentinels", "0"],
        ["--repeats", "0", "--attention", "0.5"],
        ["--min-sentinel-accuracy", "1.0", "--attention", "0.5"],
        ["--workers-per-pair", "3"],
    ):
        assert run("--preference", "0.7", *extra) != plain, extra
    assert run("--strength", "x=1", "--strength", "y=0") != run("--strength", "x=2", "--strength", "y=0")
    solve = ["--preference", "0.8", "--images", "2", "--solve", "images", "--target-power", "0.7"]
    r = runner.invoke(app, [*base, *solve])
    assert r.exit_code == 0 and "images reach power" in r.output, r.output
    assert len(csv.read_text().splitlines()) > 2  # every design tried


def test_simulate_power_mistakes_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in (
        (["--solve", "pixels"], "--solve 'pixels'"),
        (["--strength", "x=1"], "two methods"),
        (["--min-repeat-gap", "0"], "min_repeat_gap"),
    ):
        monkeypatch.setattr(sys, "argv", ["srbench", "study", "simulate", "--power", "--sims", "1", *args])
        with pytest.raises(SystemExit) as exc:
            main()
        err = capsys.readouterr().err.strip()
        assert exc.value.code == 2 and message in err and len(err.splitlines()) == 1, err
