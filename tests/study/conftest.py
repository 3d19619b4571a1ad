"""Study fixtures: one small demo study (2 images x 2 crops of 32 px, bicubic vs nearest, x4), copied per test so
every test gets its own database. It admits the anonymous ``web`` platform next to MTurk and Prolific (a lab
study); tests of production studies narrow ``platforms`` with :func:`study_helpers.set_design`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from srbench.study.create import create_study
from srbench.study.design import StudyDesign


@pytest.fixture(scope="session")
def study_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study") / "demo-study"
    create_study(
        folder,
        "demo",
        4,
        ["bicubic", "nearest"],
        crop=32,
        crops_per_image=2,
        max_images=2,
        workers_per_pair=5,
        trials_per_worker=4,
        sentinels_per_worker=1,
        repeats_per_worker=1,
        seed=3,
        design=StudyDesign(platforms=("web", "mturk", "prolific")),
    )
    return folder


@pytest.fixture
def study(study_template: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "study"
    shutil.copytree(study_template, dest)
    return dest
