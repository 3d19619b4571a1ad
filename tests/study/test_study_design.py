"""The study design file (YAML/JSON): validated, versioned, stored in study.json; unpredictable stimulus files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from srbench.cli import app
from srbench.errors import ConfigError, DataError
from srbench.study.create import create_study, load_plan
from srbench.study.design import StudyDesign, load_design
from srbench.study.spec import load_spec

DESIGN_YAML = """
version: 1
title: Sharpness study
instructions: |
  Pick the sharper image.

  Second paragraph.
consent: I agree to ...
ethics: {board: Uni X ethics board, approval: ERC-17}
researcher: {name: A. Researcher, email: a@x.org}
minutes: 7
pay: {amount: "2.50", currency: GBP}
platforms: [prolific]
slots: {time_limit_minutes: 20, per_worker: 2}
qc: {min_sentinel_accuracy: 0.5}
"""


def test_a_yaml_design_is_validated_and_stored_with_the_study(tmp_path: Path) -> None:
    f = tmp_path / "design.yaml"
    f.write_text(DESIGN_YAML)
    design = load_design(f)
    assert design.platforms == ("prolific",) and design.production and design.pay.currency == "GBP"
    create_study(tmp_path / "s", "demo", 4, ["bicubic", "nearest"], crop=16, max_images=1, design=design)
    spec = load_spec(tmp_path / "s")
    assert spec.design == design and spec.qc.min_sentinel_accuracy == 0.5
    stored = json.loads((tmp_path / "s" / "study.json").read_text())
    assert stored["version"] == 2 and stored["design"]["instructions"].startswith("Pick the sharper")
    j = tmp_path / "design.json"
    j.write_text(json.dumps(design.model_dump(mode="json")))
    assert load_design(j) == design


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("platforms: [mturk, facebook]", r"platforms\.1"),
        ("qc: {min_sentinel_accuracy: 1.5}", r"qc\.min_sentinel_accuracy"),
        ("pay: {amount: lots}", r"pay\.amount"),
        ("colour: red", "colour"),
        ("version: 9", "version"),
        ("platforms: [mturk, mturk]", "once"),
        ("- a list", "mapping"),
        ("title: [unclosed", "not valid YAML"),
    ],
)
def test_a_bad_design_is_refused_in_one_line_naming_the_file_and_key(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match) as exc:
        load_design(f)
    assert str(f) in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(DataError, match="no such study spec"):
        load_design(tmp_path / "missing.yaml")


def test_the_default_design_is_production_and_web_must_be_listed() -> None:
    assert StudyDesign().platforms == ("mturk", "prolific") and StudyDesign().production
    assert not StudyDesign(platforms=("web",)).production


def test_cli_create_reads_the_spec_and_qc_options_override_it(tmp_path: Path) -> None:
    f = tmp_path / "design.yaml"
    f.write_text(DESIGN_YAML)
    args = ["study", "create", str(tmp_path / "s"), "--crop", "16", "--images", "1", "--spec", str(f)]
    r = CliRunner().invoke(app, [*args, "--min-median-rt", "250", "--platform", "web"])
    assert r.exit_code == 0, r.output
    spec = load_spec(tmp_path / "s")
    assert spec.qc.min_median_rt_ms == 250 and spec.qc.min_sentinel_accuracy == 0.5
    assert spec.design.platforms == ("web",) and spec.design.title == "Sharpness study"


def test_cli_create_merges_the_display_and_qc_options_into_the_spec_file(tmp_path: Path) -> None:
    f = tmp_path / "design.yaml"
    f.write_text("display: {toggle_view: true, min_viewport_width: 1200}\nqc: {min_repeat_gap: 2}\n")
    args = ["study", "create", str(tmp_path / "s"), "--crop", "16", "--images", "1", "--spec", str(f)]
    r = CliRunner().invoke(app, [*args, "--pixel-ratio", "integer-only", "--min-repeat-agreement", "0.5"])
    assert r.exit_code == 0, r.output
    assert "display: 16 x 16 crops (crop policy always), pixel ratio integer-only, toggle view" in " ".join(
        r.output.split()
    )
    spec = load_spec(tmp_path / "s")
    assert (spec.crop, spec.display.crop_size, spec.display.min_viewport_width) == (16, 16, 1200)
    assert spec.display.toggle_view and spec.display.pixel_ratio == "integer-only"
    assert (spec.qc.min_repeat_gap, spec.qc.min_repeat_agreement, spec.qc.min_sentinel_accuracy) == (2, 0.5, 0.6)
    stored = json.loads((tmp_path / "s" / "study.json").read_text())  # nested in the design, nowhere else
    assert stored["design"]["display"]["toggle_view"] and "display" not in stored and "qc" not in stored


def test_file_names_and_seed_are_unpredictable_and_a_stimulus_files_share_one_size(tmp_path: Path) -> None:
    kw = {"crop": 16, "max_images": 1, "crops_per_image": 2}
    a = create_study(tmp_path / "a", "demo", 4, ["bicubic", "nearest"], seed=7, **kw)  # type: ignore[arg-type]
    create_study(tmp_path / "b", "demo", 4, ["bicubic", "nearest"], seed=7, **kw)  # type: ignore[arg-type]
    pa, pb = load_plan(tmp_path / "a"), load_plan(tmp_path / "b")
    assert a.seed == 7 and [t.trial_id for t in pa.trials()] == [t.trial_id for t in pb.trials()]
    names_a = {v for views in pa.images.values() for v in views.values()}
    names_b = {v for views in pb.images.values() for v in views.values()}
    assert not names_a & names_b  # same seed, same images: still different names (per-study secret)
    for views in pa.images.values():  # sentinel (HR, blurred), methods and reference: one byte size
        assert len({(tmp_path / "a" / "images" / rel).stat().st_size for rel in views.values()}) == 1
    seeds = {create_study(tmp_path / f"r{i}", "demo", 4, ["bicubic", "nearest"], **kw).seed for i in range(2)}  # type: ignore[arg-type]
    assert len(seeds) == 2  # no fixed default seed a bot could replay the plan with
    practice = pa.practice
    assert practice["answer"] in ("left", "right") and practice["ref"].startswith("practice/")
    study_bytes = {(tmp_path / "a" / "images" / rel).read_bytes() for v in pa.images.values() for rel in v.values()}
    assert not {(tmp_path / "a" / "images" / practice[k]).read_bytes() for k in ("ref", "left", "right")} & study_bytes
