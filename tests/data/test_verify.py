"""verify_dataset: missing, truncated, modified, resized and re-encoded files; the real ../shared copies."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from srbench.data.datasets import CatalogSpec
from srbench.data.verify import (
    CORRUPT,
    MISSING,
    MODIFIED,
    OK,
    REENCODED,
    WRONG_CHANNELS,
    WRONG_SIZE,
    check_file,
    verify_dataset,
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(folder: Path, file: str) -> dict[str, Any]:
    data = (folder / file).read_bytes()
    with Image.open(folder / file) as im:
        px = np.ascontiguousarray(np.asarray(im))
    return {
        "file": file,
        "width": px.shape[1],
        "height": px.shape[0],
        "channels": 1 if px.ndim == 2 else px.shape[2],
        "sha256": _sha(data),
        "pixel_sha256": _sha(px.tobytes()),
    }


def _make(root: Path) -> CatalogSpec:
    """``root/mini``: three 16x16 HR images (two RGB, one grayscale) and two 8x8 LR images."""
    folder = root / "mini"
    rng = np.random.default_rng(0)
    pics = {
        "hr/a.png": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
        "hr/b.png": rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
        "hr/g.png": rng.integers(0, 256, (16, 16), dtype=np.uint8),
        "lr_x2/a.png": rng.integers(0, 256, (8, 8, 3), dtype=np.uint8),
        "lr_x2/b.png": rng.integers(0, 256, (8, 8, 3), dtype=np.uint8),
    }
    for file, px in pics.items():
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(px).save(folder / file)
    images = []
    for i in ("a", "b", "g"):
        item: dict[str, Any] = {"id": i, "hr": _record(folder, f"hr/{i}.png"), "sources": []}
        if (folder / f"lr_x2/{i}.png").exists():
            item["lr"] = {"lr_x2": _record(folder, f"lr_x2/{i}.png")}
        images.append(item)
    return CatalogSpec.from_json(
        {"name": "mini", "title": "Mini", "lr_protocols": {"lr_x2": {"scale": 2}}, "images": images}
    )


def _status(report: Any) -> dict[str, str]:
    return {str(c.path.relative_to(report.folder)): c.status for c in report.checks}


def test_a_good_dataset_passes(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    report = verify_dataset(spec, tmp_path)
    assert report.ok and report.problems == [] and len(report.checks) == 5
    assert set(_status(report).values()) == {OK}
    assert report.lines() == [f"mini: all 5 files ok in {tmp_path / 'mini'}"]
    assert len(verify_dataset(spec, tmp_path, include_lr=False).checks) == 3


def test_a_dataset_that_is_not_there(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    report = verify_dataset(spec, tmp_path / "elsewhere")
    assert not report.ok and {c.status for c in report.checks} == {MISSING}
    assert report.lines() == [
        f"mini: not found in {tmp_path / 'elsewhere' / 'mini'}; run `srbench datasets fetch mini`"
    ]


def test_problems_are_listed_with_path_and_reason(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    folder = tmp_path / "mini"
    (folder / "hr/a.png").unlink()  # missing
    data = (folder / "hr/b.png").read_bytes()
    (folder / "hr/b.png").write_bytes(data[: len(data) // 2])  # truncated
    px = np.array(Image.open(folder / "hr/g.png"))
    px[3, 4] ^= 0x10
    Image.fromarray(px).save(folder / "hr/g.png")  # one pixel changed
    (folder / "lr_x2/a.png").write_text("not an image")
    report = verify_dataset(spec, tmp_path)
    assert not report.ok
    assert _status(report) == {
        "hr/a.png": MISSING,
        "hr/b.png": CORRUPT,
        "hr/g.png": MODIFIED,
        "lr_x2/a.png": CORRUPT,
        "lr_x2/b.png": OK,
    }
    lines = report.lines()
    assert lines[0].startswith("mini: 4 of 5 files have problems") and "srbench datasets fetch mini" in lines[0]
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    by_file = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in lines[1:]}
    assert by_file[str(folder / "hr/a.png")].startswith("missing")
    assert "cannot decode" in by_file[str(folder / "hr/b.png")]
    assert "corrupt / modified" in by_file[str(folder / "hr/g.png")]
    # LR problems are not reported without include_lr
    assert len(verify_dataset(spec, tmp_path, include_lr=False).problems) == 3


def test_a_losslessly_reencoded_file_is_accepted(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    path = tmp_path / "mini/hr/a.png"
    before = path.read_bytes()
    with Image.open(path) as im:
        im.load()
        im.save(path, compress_level=0)
    assert path.read_bytes() != before
    report = verify_dataset(spec, tmp_path)
    assert report.ok
    check = next(c for c in report.checks if c.path == path)
    assert check.status == REENCODED and check.reason == "same pixels, different encoding"
    assert report.lines() == [f"mini: all 5 files ok (1 with the same pixels, different encoding) in {path.parents[1]}"]


def test_wrong_size_and_wrong_channels(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    folder = tmp_path / "mini"
    Image.open(folder / "hr/a.png").crop((0, 0, 15, 16)).save(folder / "hr/a.png")
    Image.open(folder / "hr/g.png").convert("RGB").save(folder / "hr/g.png")
    checks = {c.path.name: c for c in verify_dataset(spec, tmp_path, include_lr=False).checks}
    assert checks["a.png"].status == WRONG_SIZE and "wrong size 15x16, expected 16x16" in checks["a.png"].reason
    assert checks["g.png"].status == WRONG_CHANNELS and "expected 1 channel" in checks["g.png"].reason


def test_check_file_on_an_empty_file(tmp_path: Path) -> None:
    spec = _make(tmp_path)
    path = tmp_path / "mini/hr/a.png"
    path.write_bytes(b"")
    assert check_file(path, spec.hr_record(spec.images[0])).status == CORRUPT


@pytest.mark.shared
@pytest.mark.parametrize("name", ["set5", "set14", "bsd100"])
def test_shared_copies_verify(name: str) -> None:
    env = os.environ.get("SRBENCH_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    if not (root / name).is_dir():
        pytest.skip("needs ../shared/datasets (set SRBENCH_DATA)")
    report = verify_dataset(CatalogSpec.load(name), root)
    assert report.ok, "\n".join(report.lines())
    assert len(report.checks) == {"set5": 15, "set14": 42, "bsd100": 100}[name]


def test_a_file_without_read_permission_is_named_with_chmod_not_replace(tmp_path: Path, monkeypatch) -> None:
    from srbench.testing.denied import deny

    spec = _make(tmp_path)
    denied = tmp_path / "mini" / "hr" / "b.png"
    deny(monkeypatch, read=[denied])
    report = verify_dataset(spec, tmp_path)
    assert not report.ok
    line = next(c.line() for c in report.checks if c.path == denied)
    assert line == f"{denied}: cannot read file (permission denied); fix: chmod a+r {denied}"
