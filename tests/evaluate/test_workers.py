"""Worker threads in ``evaluate`` change no value, keep the row order, and pass errors on unchanged.

No shared data: small folders written to ``tmp_path`` (mixed shapes, portrait and landscape, one gray image).
Values are also checked against the numpy reference loop, never only against srbench itself.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from srbench.data.datasets import folder_dataset
from srbench.errors import DataError
from srbench.evaluate import EvalRequest, evaluate
from srbench.evaluate.workers import default_workers, map_in_threads
from srbench.methods import resolve_method
from srbench.testing.numpy_reference import bicubic_scores_np

METRICS = ("psnr", "ssim", "fsim", "vif")


def _images() -> dict[str, np.ndarray]:
    def crop(name: str, top: int, left: int, h: int, w: int) -> np.ndarray:
        return np.ascontiguousarray(getattr(skimage.data, name)()[top : top + h, left : left + w])

    return {
        "l1": crop("chelsea", 10, 20, 68, 92),
        "l2": crop("rocket", 100, 100, 68, 92),
        "l3": crop("astronaut", 200, 200, 68, 92),
        "p1": crop("coffee", 100, 200, 92, 68),
        "p2": crop("rocket", 50, 300, 92, 68),
        "sq": crop("astronaut", 0, 0, 72, 72),
        "gray": crop("camera", 100, 100, 76, 64),
    }


def _write(folder: Path, images: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in images.items():
        Image.fromarray(arr).save(folder / f"{name}.png")
    return folder


def test_values_and_row_order_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    images = _images()
    ds = folder_dataset(_write(tmp_path / "hr", images))
    runs = [
        evaluate(EvalRequest([ds], [resolve_method("bicubic")], metrics=METRICS, workers=n, batch=2)).rows
        for n in (1, 2, 3)
    ]
    for rows in runs[1:]:
        assert list(rows["image"]) == list(runs[0]["image"])
        for m in METRICS:
            assert rows[m].tolist() == runs[0][m].tolist(), m  # bit-identical
    for _, row in runs[0].iterrows():  # and they are the right values
        ref = bicubic_scores_np(images[row["image"]], 4, ("psnr", "ssim"))
        assert abs(row["psnr"] - ref["psnr"]) < 1e-4
        assert abs(row["ssim"] - ref["ssim"]) < 1e-5


def test_map_in_threads_keeps_the_order_and_uses_several_threads() -> None:
    seen: set[int] = set()

    def slow_square(i: int) -> int:
        seen.add(threading.get_ident())
        time.sleep(0.02 if i % 2 else 0.001)
        return i * i

    assert list(map_in_threads(slow_square, range(12), 3)) == [i * i for i in range(12)]
    assert len(seen) > 1
    assert list(map_in_threads(slow_square, range(5), 1)) == [0, 1, 4, 9, 16]


def test_an_error_in_a_worker_reaches_the_caller_and_cancels_the_rest() -> None:
    done: list[int] = []

    def fail_on_three(i: int) -> int:
        if i == 3:
            raise DataError("image 3 is broken")
        time.sleep(0.01)
        done.append(i)
        return i

    with pytest.raises(DataError, match="image 3 is broken"):
        list(map_in_threads(fail_on_three, range(200), 2))
    assert len(done) < 200


def test_default_workers_is_one_on_a_gpu_and_at_least_one_on_the_cpu() -> None:
    assert default_workers(torch.device("cuda")) == 1
    assert 1 <= default_workers(torch.device("cpu")) <= 4


def test_jobs_of_several_datasets_run_on_one_pool_and_each_progress_bar_reaches_its_total(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, names in ((a, ("l1", "p1", "gray")), (b, ("l2", "l3", "p2", "sq"))):
        folder.mkdir()
        for name in names:
            Image.fromarray(_images()[name]).save(folder / f"{name}.png")
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def progress(description: str, total: int):  # type: ignore[no-untyped-def]
        counts[description] = 0

        def advance(n: int) -> None:
            with lock:
                counts[description] += n

        return advance

    methods = [resolve_method("bicubic"), resolve_method("nearest")]
    sets = [folder_dataset(a), folder_dataset(b)]
    res = evaluate(EvalRequest(sets, methods, [2, 4], ("psnr", "ssim"), workers=2), progress=progress)
    alone = evaluate(EvalRequest(sets, methods, [2, 4], ("psnr", "ssim"), workers=1))
    assert counts == {
        f"{m} {d} x{s}": n for d, n in (("a", 3), ("b", 4)) for s in (2, 4) for m in ("bicubic", "nearest")
    }
    cols = ["dataset", "scale", "method", "image", "psnr", "ssim"]
    assert res.rows[cols].equals(alone.rows[cols])  # same values, same row order


def test_an_error_in_a_later_dataset_leaves_the_earlier_results_written(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir()
    bad.mkdir()
    for name in ("l1", "p1"):
        Image.fromarray(_images()[name]).save(good / f"{name}.png")
    Image.fromarray(_images()["l2"]).save(bad / "ok.png")
    (bad / "broken.png").write_bytes((good / "l1.png").read_bytes()[:300])  # truncated
    out = tmp_path / "r.csv"
    with pytest.raises(DataError, match=r"broken\.png"):
        evaluate(
            EvalRequest(
                [folder_dataset(good), folder_dataset(bad)], [resolve_method("bicubic")], [2], ("psnr",),
                output=out, workers=2,
            )
        )  # fmt: skip
    again = evaluate(
        EvalRequest([folder_dataset(good)], [resolve_method("bicubic")], [2], ("psnr",), output=out, workers=2)
    )
    assert again.reused_groups == 1 and again.computed_groups == 0
