"""Images decoded by the workers that need them (srbench.evaluate.sources) give the same rows as decoding first.

An evaluation plans its shape groups from catalog records or file headers and lets each worker decode its own
group; these tests pin that the plan changes no value, that a file whose decoded size or colour contradicts the
plan is refused with a one-line error naming it, and that files only decoding can judge still get their errors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from srbench.data.datasets import FileRecord, folder_dataset
from srbench.errors import DataError
from srbench.evaluate import EvalRequest, evaluate, sources
from srbench.evaluate.timing import Timer
from srbench.methods import resolve_method
from srbench.protocol.record import Protocol


def _folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    for i, (h, w) in enumerate([(37, 50), (50, 37), (37, 50), (41, 41), (37, 50)]):
        base = rng.integers(0, 256, (h // 4 + 1, w // 4 + 1, 3), dtype=np.uint8)
        img = Image.fromarray(base).resize((w, h), Image.Resampling.BICUBIC)
        (img.convert("L") if i == 3 else img).save(tmp_path / f"im{i}.png")
    return tmp_path


def _scores(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("image")[["image", "psnr", "ssim", "height", "width", "gray"]].reset_index(drop=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_planned_groups_decoded_by_workers_give_the_rows_of_decoding_first(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = folder_dataset(_folder(tmp_path))
    planned = evaluate(EvalRequest([ds], [resolve_method("bicubic")], [4], ["psnr", "ssim"], workers=workers))
    monkeypatch.setattr("srbench.evaluate.plan.plan_images", lambda *a, **k: None)  # decode all first
    eager = evaluate(EvalRequest([ds], [resolve_method("bicubic")], [4], ["psnr", "ssim"], workers=workers))
    pd.testing.assert_frame_equal(_scores(planned.rows), _scores(eager.rows), check_exact=True)
    assert planned.timings["decode"] > 0


def test_a_folder_is_planned_from_file_headers_with_mod_cropped_sizes(tmp_path: Path) -> None:
    ds = folder_dataset(_folder(tmp_path))
    plan = sources.plan_images(ds, sources.DecodedImages(Timer()), 4, Protocol(), Timer())
    assert plan is not None
    assert [(p.id, p.size, p.gray) for p in plan] == [
        ("im0", (36, 48), False),
        ("im1", (48, 36), False),
        ("im2", (36, 48), False),
        ("im3", (40, 40), True),
        ("im4", (36, 48), False),
    ]


def test_an_image_that_contradicts_its_catalog_record_is_refused_naming_the_file(tmp_path: Path) -> None:
    ds = folder_dataset(_folder(tmp_path))
    wrong = FileRecord("im0.png", width=60, height=37, channels=3, sha256="0" * 64, pixel_sha256="0" * 64)
    images = (dataclasses.replace(ds.images[0], record=wrong), *ds.images[1:])
    ds = dataclasses.replace(ds, images=images)
    with pytest.raises(DataError) as info:
        evaluate(EvalRequest([ds], [resolve_method("bicubic")], [4], ["psnr"], workers=2))
    message = str(info.value)
    assert "im0.png" in message and "decoded as 48x36" in message and "datasets verify" in message
    assert "\n" not in message


def test_a_file_only_decoding_can_judge_still_gets_its_error(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    Image.fromarray(np.zeros((40, 40, 4), dtype=np.uint8)).save(folder / "rgba.png")
    ds = folder_dataset(folder)
    assert sources.plan_images(ds, sources.DecodedImages(Timer()), 4, Protocol(), Timer()) is None
    with pytest.raises(DataError, match=r"rgba\.png: image has an alpha channel"):
        evaluate(EvalRequest([ds], [resolve_method("bicubic")], [4], ["psnr"]))


def test_each_image_is_decoded_once_for_several_methods_and_scales(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = folder_dataset(_folder(tmp_path))
    calls: list[str] = []
    entries = []
    for e in ds.images:

        def load(e: object = e) -> np.ndarray:
            calls.append(e.id)  # type: ignore[attr-defined]
            return e.load()  # type: ignore[attr-defined]

        entries.append(dataclasses.replace(e, load=load))
    ds = dataclasses.replace(ds, images=tuple(entries))
    evaluate(EvalRequest([ds], [resolve_method("bicubic"), resolve_method("nearest")], [2, 4], ["psnr"], workers=2))
    assert sorted(calls) == sorted(e.id for e in ds.images)
