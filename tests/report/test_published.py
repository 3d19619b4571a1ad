"""The paper's numbers kept in srbench match an independent transcription (evaluation-conventions.md, 5.1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from srbench.report.published import ROLES, footnotes, published

ROLE_LABEL = {"Bicubic": "Bicubic", "l_pixel": "Ours l_pixel", "SRCNN": "SRCNN", "l_feat": "Ours l_feat"}


def _section(shared_datasets: Path) -> str:
    text = (shared_datasets.parent / "reference" / "evaluation-conventions.md").read_text()
    return text.split("### 5.1", 1)[1].split("### 5.2", 1)[0]


def _pairs(cell: str) -> tuple[float, float]:
    psnr, ssim = re.findall(r"\d+\.\d+", cell)[:2]
    return float(psnr), float(ssim)


def test_dataset_means_match_the_conventions_tables(shared_datasets: Path) -> None:
    sec = _section(shared_datasets)
    x4, x8 = sec.split("**Fig. 9", 1)
    pub = published()
    checked = 0
    for scale, block in ((4, x4), (8, x8)):
        for role in ROLES:
            line = next((ln for ln in block.splitlines() if ln.startswith(f"| {ROLE_LABEL[role]} |")), None)
            rows = pub[(pub["scale"] == scale) & (pub["role"] == role) & (pub["image"] == "")]
            if line is None:
                assert rows.empty  # SRCNN is not in Fig. 9
                continue
            cells = [c.strip() for c in line.strip("|").split("|")][1:]
            for ds, cell in zip(("set5", "set14", "bsd100"), cells, strict=True):
                r = rows[rows["dataset"] == ds].iloc[0]
                assert (r["psnr"], r["ssim"]) == _pairs(cell), (scale, role, ds)
                checked += 1
    assert checked == 12 + 9


@pytest.mark.parametrize(("image", "label"), [("baby", "baby"), ("comic", "comic")])
def test_example_images_match_the_conventions_text(shared_datasets: Path, image: str, label: str) -> None:
    sec = _section(shared_datasets)
    para = sec.split(f"`{label}`", 1)[1].split("\n- ", 1)[0]
    pub = published()
    for role, word in (("Bicubic", "Bicubic"), ("l_pixel", "l_pixel"), ("SRCNN", "SRCNN"), ("l_feat", "l_feat")):
        psnr, ssim = _pairs(para.split(word, 1)[1])
        r = pub[(pub["image"] == image) & (pub["role"] == role)].iloc[0]
        assert (r["psnr"], r["ssim"]) == (psnr, ssim)


def test_every_note_id_used_has_a_text_and_every_row_a_source() -> None:
    pub = published()
    ids = {n for notes in pub["notes"] for n in notes.split(";") if n}
    assert ids <= set(footnotes())
    assert (pub["source"].str.contains("ECCV 2016")).all()
