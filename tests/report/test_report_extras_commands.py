"""The thin report commands: what they print comes from the statistics and figure modules, formatted."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from srbench.commands.report_extras import chart_command, compare_command, figure_command
from srbench.data.datasets import Dataset, resolve_dataset
from srbench.errors import ConfigError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method


def rows() -> pd.DataFrame:
    a = [30.10, 31.20, 28.30, 33.40, 29.50]
    b = [29.00, 31.70, 27.30, 31.40, 28.00]
    recs = [
        {"dataset": "set5", "scale": 4, "method": m, "image": f"i{k}", "psnr": v, "protocol_key": "k"}
        | {"protocol_name": "standard", "method_key": m, "dataset_checksum": "c", "created": "2026-01-01"}
        for m, vals in (("A", a), ("B", b))
        for k, v in enumerate(vals)
    ]
    return pd.DataFrame.from_records(recs)


def test_compare_markdown_shows_the_hand_computed_means_and_counts() -> None:
    text = compare_command(rows(), ["A", "B"], "set5", 4, "psnr", "markdown", n_boot=1000)
    # means 30.50 and 29.48, difference +1.020, A better on 4 of 5 images
    assert "| set5 | x4 | A | B | 5 | 30.50 | 29.48 | +1.020 |" in text
    assert "| 4/0/1 |" in text
    assert "0.0625" in text  # the footnote on the smallest possible p with 5 images


def test_compare_csv_is_machine_readable_and_covers_every_pair() -> None:
    r = pd.concat([rows(), rows().query("method == 'B'").assign(method="C", psnr=lambda d: d.psnr - 1.0)])
    table = pd.read_csv(io.StringIO(compare_command(r, None, None, None, "psnr", "csv", n_boot=1000)))
    assert list(zip(table["A"], table["B"], strict=True)) == [("A", "B"), ("A", "C"), ("B", "C")]
    assert table.loc[2, "A - B"] == pytest.approx(1.0)
    assert table.loc[2, "W/T/L"] == "5/0/0"


def test_compare_with_one_or_three_methods_or_an_alias_twice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="exactly two methods"):
        compare_command(rows(), ["A"], "set5", 4, "psnr", "markdown")
    with pytest.raises(ConfigError, match="exactly two methods"):
        compare_command(rows(), ["A", "B", "C"], "set5", 4, "psnr", "markdown")
    with pytest.raises(ConfigError, match="two different methods"):
        compare_command(rows(), ["srcnn", "srcnn-955-imagenet-x4"], "set5", 4, "psnr", "markdown")


def test_compare_finds_a_method_by_its_alias() -> None:
    r = rows().replace({"method": {"A": "srcnn-955-imagenet-x4"}})
    text = compare_command(r, ["srcnn", "B"], None, None, "psnr", "csv", n_boot=1000)
    assert text.splitlines()[1].startswith("set5,x4,srcnn-955-imagenet-x4,B,5,30.50,29.48,+1.020")


def test_figure_command_writes_files_and_prints_the_captions(tmp_path: Path) -> None:
    text = figure_command("demo", "camera", 4, ["bicubic"], tmp_path / "cmp", box=(8, 8, 32, 32))
    assert (tmp_path / "cmp.png").is_file() and (tmp_path / "cmp.pdf").is_file()
    assert "box: top=8 left=8 height=32 width=32 (y)" in text
    demo = resolve_dataset("demo", None)
    camera = Dataset(demo.name, demo.title, tuple(i for i in demo.images if i.id == "camera"))
    row = evaluate(EvalRequest([camera], [resolve_method("bicubic")], (4,), ("psnr", "ssim"))).rows.iloc[0]
    assert f"bicubic: PSNR {row.psnr:.2f} dB, SSIM {row.ssim:.4f}" in text


def test_chart_command_writes_files(tmp_path: Path) -> None:
    assert "2 bars" in chart_command(rows(), "psnr", tmp_path / "chart")
    assert (tmp_path / "chart.pdf").read_bytes().startswith(b"%PDF")
