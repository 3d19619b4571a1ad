"""``srbench report``: prints and writes tables from the store; refuses mixed protocols; ``build --check``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from srbench.results.store import ResultStore
from srbench.results.table import GroupKey
from srbench.testing.cli import assert_one_line_error, run_cli

RowsFactory = Callable[..., pd.DataFrame]


def _fill(store: ResultStore, rows: pd.DataFrame) -> None:
    for (method, ds), g in rows.groupby(["method", "dataset"]):
        r = g.iloc[0]
        key = GroupKey(str(method), r["method_key"], str(ds), r["dataset_checksum"], int(r["scale"]), r["protocol_key"])
        store.replace(key, g)


def test_report_writes_markdown_and_latex_files(
    rows_factory: RowsFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = ResultStore(tmp_path / "store")
    _fill(store, rows_factory({"bicubic": 0.0, "nearest": -1.0}))
    code, out, err = run_cli(["report", "--store", str(store.root), "-o", str(tmp_path / "t.tex")], monkeypatch, capsys)
    assert code == 0, err
    tex = (tmp_path / "t.tex").read_text()
    assert tex.count("\\begin{tabular}") == 1 and "\\textbf{" in tex
    code, out, err = run_cli(
        ["report", "--store", str(store.root), "-f", "markdown", "--sort", "psnr"], monkeypatch, capsys
    )
    assert code == 0 and out.splitlines()[2].startswith("| Method | Set5 PSNR")


def test_a_mixed_protocol_store_gets_one_table_per_protocol_and_each_can_be_picked(
    rows_factory: RowsFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = ResultStore(tmp_path / "store")
    _fill(store, rows_factory({"bicubic": 0.0}))
    _fill(store, rows_factory({"mine": 0.0}, protocol="rcan", protocol_key="p9", degradation="blur-bicubic"))
    code, out, err = run_cli(["report", "--store", str(store.root), "-f", "markdown"], monkeypatch, capsys)
    assert code == 0, err
    assert "**x4, protocol standard [p1]**" in out
    assert "**x4, protocol blur-bicubic [p9]**" in out  # the record is the blur-bicubic preset's, whatever its name
    code, out, _ = run_cli(["report", "--store", str(store.root), "--protocol", "p9", "-f", "csv"], monkeypatch, capsys)
    assert code == 0 and "mine" in out and "bicubic" not in out
    code, out, _ = run_cli(
        ["report", "--store", str(store.root), "--protocol", "standard", "-f", "csv"], monkeypatch, capsys
    )
    assert code == 0 and "bicubic" in out and "mine" not in out
    code, out, _ = run_cli(["report", "--store", str(store.root), "--side-by-side", "-f", "csv"], monkeypatch, capsys)
    assert code == 0 and "mine [blur-bicubic]" in out and "bicubic [standard]" in out
    code, _, err = run_cli(["report", "--store", str(store.root), "--protocol", "nope"], monkeypatch, capsys)
    assert_one_line_error(code, err, "pass --protocol with one of: blur-bicubic [p9], standard [p1]")


def test_report_on_an_empty_or_corrupt_store_is_aassert_one_line_error(
    rows_factory: RowsFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(["report", "--store", str(tmp_path / "none")], monkeypatch, capsys)
    assert_one_line_error(code, err, "run srbench eval first")
    store = ResultStore(tmp_path / "store")
    _fill(store, rows_factory({"bicubic": 0.0}))
    store.files()[0].write_text("not,a\nstore")
    code, _, err = run_cli(["report", "--store", str(store.root)], monkeypatch, capsys)
    assert_one_line_error(code, err, "not an srbench result group", "delete it")
    code, _, err = run_cli(["report", "--store", str(store.root), "-m", "nosuch"], monkeypatch, capsys)
    assert code == 2


def test_build_then_check_detects_a_changed_store(
    rows_factory: RowsFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = ResultStore(tmp_path / "store")
    _fill(store, rows_factory({"bicubic": 0.0, "johnson-x4-pixel": 1.0}))
    args = ["report", "build", "--store", str(store.root), "--out", str(tmp_path / "reports")]
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert names == ["johnson2016_x4.md", "johnson2016_x4.tex", "leaderboard.md", "leaderboard.tex", "means.csv"]
    code, out, _ = run_cli([*args, "--check"], monkeypatch, capsys)
    assert code == 0 and "up to date" in out
    _fill(store, rows_factory({"nearest": -1.0}))
    code, _, err = run_cli([*args, "--check"], monkeypatch, capsys)
    assert code == 1 and "leaderboard.md" in err


def test_build_shows_lpips_and_dists_where_computed_and_says_for_which(
    rows_factory: RowsFactory, tmp_path: Path
) -> None:
    """LPIPS / DISTS (hours on a CPU) computed for some methods only: leaderboard columns with '-' for the others
    and a footnote naming who has them; the paper's perceptual table once every paper column has them."""
    from srbench.report.build import build_reports
    from srbench.report.paper import DEFAULT_ROLES

    roles = DEFAULT_ROLES[4]
    rows = rows_factory({m: float(i) for i, m in enumerate([*roles.values(), "nearest"])})
    rows["lpips"] = rows["dists"] = float("nan")
    store = ResultStore(tmp_path / "store")
    for have in (["bicubic"], list(roles.values())):
        part = rows.copy()
        part.loc[part["method"].isin(have), ["lpips", "dists"]] = 0.25
        _fill(store, part)
        build_reports(store.root, tmp_path / "out")
        board = (tmp_path / "out" / "leaderboard.md").read_text()
        lines = [ln for ln in board.splitlines() if ln.startswith("| ")]
        assert "Set5 LPIPS" in lines[0] and "Set5 DISTS" in lines[0]
        assert f"LPIPS / DISTS computed for {', '.join(sorted(have))} only" in board
        nearest = next(ln for ln in lines if ln.startswith("| nearest"))
        assert " - |" in nearest  # not computed: a dash, never a number
        paper = (tmp_path / "out" / "johnson2016_x4.md").read_text()
        assert ("Perceptual distances LPIPS" in paper) == (len(have) == len(roles))


def test_every_table_fits_80_columns_without_cutting_a_name_or_a_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(Path(__file__).resolve().parents[2] / "reports" / "store")
    for args in (["--layout", "all"], ["compare", "-s", "8"], ["--side-by-side", "-s", "4"]):
        argv = (
            ["report", *args[:1], "--store", store, *args[1:]]
            if args[0] == "compare"
            else ["report", "--store", store, *args]
        )
        code, out, err = run_cli(argv, monkeypatch, capsys, columns=80)
        assert code == 0, err
        lines = out.splitlines()
        assert max(map(len, lines)) <= 80 and "…" not in out
        for name in (
            ("srcnn-955-imagenet-x4", "johnson-x4-feature") if args[0] != "compare" else ("johnson-x8-feature",)
        ):
            assert name in out
    assert (
        "27.03" in run_cli(["report", "--store", store, "-s", "4"], monkeypatch, capsys, columns=80)[1]
    )  # x4 l_pixel, Set5


def test_report_commands_share_one_dialect(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for cmd, needles in (
        ([], ["--output", "-o", "--protocol", "default: leaderboard"]),
        (["build"], ["--output", "-o", "--protocol", "default: reports"]),
        (["compare"], ["--method", "-m", "--protocol", "default: psnr"]),
        (["figure"], ["--output", "-o", "--device", "default: auto"]),
        (["chart"], ["--output", "-o", "--protocol", "default: psnr"]),
    ):
        code, out, _ = run_cli(["report", *cmd, "--help"], monkeypatch, capsys)
        assert code == 0
        for needle in needles:
            assert needle in out, (cmd, needle)
        assert "--out " not in out and "--a " not in out  # the old spellings still work, unlisted


def test_the_old_out_spelling_still_writes_a_chart(
    rows_factory: RowsFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ResultStore(tmp_path / "store")
    _fill(store, rows_factory({"bicubic": 0.0, "nearest": -1.0}))
    code, _, err = run_cli(
        ["report", "chart", "--store", str(store.root), "--out", str(tmp_path / "c")], monkeypatch, capsys
    )
    assert code == 0, err
    assert (tmp_path / "c.png").is_file()
    code, _, err = run_cli(["report", "chart", "--store", str(store.root)], monkeypatch, capsys)
    assert_one_line_error(code, err, "missing --output/-o PATH")


def test_report_build_stamps_the_command_that_wrote_the_files(tmp_path: Path) -> None:
    """The files' "generated by" line names the store and folder actually used, so the command it gives rebuilds
    them (the committed reports keep the default command)."""
    from srbench.report.build import COMMAND, build_command_line

    assert build_command_line("reports/store", "reports") == COMMAND
    assert build_command_line(tmp_path / "s", tmp_path / "o", "rcan").endswith(
        f"--store {(tmp_path / 's').as_posix()} --output {(tmp_path / 'o').as_posix()} --protocol rcan"
    )
