"""The README's command sequence, end to end, in a fresh result store: every step exits 0 with the right rows.

demo eval -> Set5/Set14/BSD100 eval -> an ``--lr-dir`` run -> two weights files in one eval -> ``report`` in every
layout and format -> ``compare`` -> ``chart`` -> ``figure``. Metrics are limited to PSNR/SSIM (FSIM/VIF on Set5
for the supplementary table) to keep it fast; the numbers themselves are pinned elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from srbench.report.formats import FORMATS
from srbench.report.layouts import LAYOUTS
from srbench.results.store import ResultStore
from srbench.testing.cli import run_cli

REPO = Path(__file__).resolve().parents[1]
PIXEL = REPO / "srbench" / "methods" / "shipped" / "johnson_x4_pixel.safetensors"
FEATURE = REPO / "srbench" / "methods" / "shipped" / "johnson_x4_feature.safetensors"
FAST = ["--metric", "psnr", "--metric", "ssim", "--no-progress"]


def _committed_mean(method: str) -> float:
    """The committed store's Set5 x4 PSNR mean of a shipped baseline (scored in an earlier session)."""
    rows = ResultStore(REPO / "reports" / "store").rows()
    sel = rows[(rows["method"] == method) & (rows["dataset"] == "set5") & (rows["scale"] == 4)]
    return float(sel["psnr"].mean())


def test_the_readme_sequence_runs_end_to_end_and_keeps_every_model_apart(
    shared_datasets: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("SRBENCH_STORE", str(store))

    def ok(*args: str) -> str:
        code, out, err = run_cli(list(args), monkeypatch, capsys)
        assert code == 0, f"srbench {' '.join(args)} exited {code}: {err}"
        assert "Traceback" not in err
        return out

    # 1. the first run on a fresh machine: no data root, the embedded demo set
    monkeypatch.delenv("SRBENCH_DATA", raising=False)
    out = ok("eval", *FAST)
    assert "demo" in out and "bicubic" in out and "nearest" in out
    monkeypatch.setenv("SRBENCH_DATA", str(shared_datasets))

    # 2. the README's evaluation
    ok(
        "eval",
        "-d",
        "set5",
        "-d",
        "set14",
        "-d",
        "bsd100",
        "-s",
        "4",
        "-m",
        "bicubic",
        "-o",
        str(tmp_path / "r.csv"),
        *FAST,
    )
    assert set(pd.read_csv(tmp_path / "r.csv")["dataset"]) == {"set5", "set14", "bsd100"}

    # 3. given LR files: its own protocol, named, and the header prints the key the rows are stored under
    out = ok(
        "eval",
        "-d",
        "set5",
        "-s",
        "4",
        "-m",
        "bicubic",
        "--lr-dir",
        str(shared_datasets / "{dataset}" / "lr_x{scale}"),
        *FAST,
    )
    rows = ResultStore(store).rows()
    given = rows[rows["protocol_name"] == "standard+lr-dir"]
    assert len(given) == 5 and given["protocol_key"].nunique() == 1
    assert f"standard+lr-dir [{given['protocol_key'].iloc[0]}]" in out

    # 4. two weights files in one eval: two rows, each under its own name and with its own mean
    out = ok(
        "eval",
        "-d",
        "set5",
        "-s",
        "4",
        "-m",
        str(PIXEL),
        "-m",
        str(FEATURE),
        "--metric",
        "fsim",
        "--metric",
        "vif",
        *FAST,
    )
    rows = ResultStore(store).rows()
    set5 = rows[(rows["dataset"] == "set5") & (rows["protocol_name"] == "standard")]
    means = set5.groupby("method")["psnr"].mean()
    assert set5.groupby("method").size()[["johnson-x4-pixel", "johnson-x4-feature"]].tolist() == [5, 5]
    for name in ("johnson-x4-pixel", "johnson-x4-feature"):
        assert means[name] == pytest.approx(_committed_mean(name), abs=1e-9)
        assert f"{means[name]:.2f}" in out
    assert means["johnson-x4-pixel"] != means["johnson-x4-feature"]

    # 5. reports: every layout and format; a mixed store gives one table per protocol, never a dead end
    for layout in LAYOUTS:
        for fmt in FORMATS:
            out = ok("report", "--layout", layout, "-f", fmt)
            assert out.strip()
    out = ok("report", "-f", "csv", "-s", "4")
    assert out.count("Method,") == 2  # standard and standard+lr-dir
    md = ok("report", "-f", "markdown", "--protocol", "standard")
    assert "johnson-x4-pixel" in md and "johnson-x4-feature" in md and "superseded" not in md
    assert "| bicubic |" in ok("report", "-f", "markdown", "--protocol", "standard+lr-dir")
    ok("report", "--side-by-side")

    # 6. compare (methods as -m, the old --a/--b still accepted), chart (one per protocol), figure
    out = ok("report", "compare", "-m", "johnson-x4-feature", "-m", "bicubic", "-d", "set5", "-s", "4", "-f", "csv")
    assert out.splitlines()[1].startswith("set5,x4,johnson-x4-feature,bicubic,5,")
    ok(
        "report",
        "compare",
        "--a",
        "johnson-x4-pixel",
        "--b",
        "bicubic",
        "-d",
        "set5",
        "-s",
        "4",
        "--protocol",
        "standard",
    )
    out = ok("report", "chart", "--metric", "psnr", "-s", "4", "-o", str(tmp_path / "psnr_x4"))
    assert out.count("wrote") == 2 and (tmp_path / "psnr_x4_standard.png").is_file()
    ok(
        "report",
        "figure",
        "set5",
        "baby",
        "-s",
        "4",
        "-m",
        "bicubic",
        "-m",
        "johnson-x4-pixel",
        "-o",
        str(tmp_path / "f"),
    )
    assert (tmp_path / "f.png").is_file() and (tmp_path / "f.pdf").is_file()


def test_the_readme_compare_with_the_srcnn_alias_works_on_the_committed_store(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "compare", "-m", "srcnn", "-m", "bicubic", "-d", "set14", "-s", "4", "--metric", "psnr"]
    code, out, err = run_cli([*args, "--store", str(REPO / "reports" / "store"), "-f", "csv"], monkeypatch, capsys)
    assert code == 0, err
    assert out.splitlines()[1].startswith("set14,x4,srcnn-955-imagenet-x4,bicubic,14,27.50,26.00,")
