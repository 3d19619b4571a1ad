"""``create``: what workers see is the protocol's LR, its exact nearest-neighbour enlargement and the SR crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from srbench.data.datasets import resolve_dataset
from srbench.data.imageio import read_image, write_image
from srbench.errors import ConfigError, DataError
from srbench.inference.upscale import to_uint8, upscale_image
from srbench.methods import resolve_method
from srbench.protocol.crops import modcrop
from srbench.protocol.imresize import imresize
from srbench.study.create import REF_LABEL, create_study, load_plan, nearest_reference
from srbench.study.plan import BLUR_LABEL, HR_LABEL
from srbench.study.spec import load_spec

SCALE = 4


def _hr(image_id: str) -> np.ndarray:
    entry = next(e for e in resolve_dataset("demo", None).images if e.id == image_id)
    return modcrop(entry.load(), SCALE)


def _lr_matlab(hr: np.ndarray) -> np.ndarray:
    """Second path to the standard LR: MATLAB-exact imresize(hr, 1/4, 'bicubic') on [0, 1], rounded."""
    t = torch.from_numpy(hr.astype(np.float64) / 255.0)
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    out = imresize(t, 1 / SCALE, kernel="cubic")[0] * 255.0
    arr = out.permute(1, 2, 0).numpy()
    return to_uint8(arr[..., 0] if hr.ndim == 2 else arr)


def test_nearest_reference_replicates_pixels() -> None:
    lr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    ref = nearest_reference(lr, 2)
    assert ref.shape == (4, 6)
    assert all(ref[i, j] == lr[i // 2, j // 2] for i in range(4) for j in range(6))


def test_shown_images_are_crops_of_the_protocol_lr_enlargement_hr_and_sr(study_template: Path) -> None:
    plan = load_plan(study_template)
    spec = load_spec(study_template)
    assert len(plan.windows) == 4 and spec.crop == 32
    for stim, win in plan.windows.items():
        hr = _hr(win["image"])
        lr = _lr_matlab(hr)
        y, x, h, w = win["y"], win["x"], win["h"], win["w"]
        assert y % SCALE == 0 and x % SCALE == 0 and (h, w) == (32, 32)
        files = {k: read_image(study_template / "images" / v) for k, v in plan.images[stim].items()}
        cut = (slice(y, y + h), slice(x, x + w))
        np.testing.assert_array_equal(files[REF_LABEL], nearest_reference(lr, SCALE)[cut])
        np.testing.assert_array_equal(files[HR_LABEL], hr[cut])
        sr, _ = upscale_image(resolve_method("bicubic"), lr, SCALE, device="cpu")
        np.testing.assert_array_equal(files["bicubic"], sr[cut])
        # the sentinel's blurred copy is obviously softer: much less gradient energy than the HR
        grad = lambda a: float(np.abs(np.diff(a.astype(float), axis=0)).mean())  # noqa: E731
        assert grad(files[BLUR_LABEL]) < 0.5 * grad(files[HR_LABEL])


def test_image_urls_do_not_name_the_method(study_template: Path) -> None:
    plan = load_plan(study_template)
    for views in plan.images.values():
        for path in views.values():
            assert "bicubic" not in path and "nearest" not in path and "hr" not in path.split("/")[-1]


def test_sr_dir_outputs_are_shown_as_stored(tmp_path: Path) -> None:
    srdir = tmp_path / "mine"
    for image_id in ("astronaut", "camera"):
        write_image(srdir / f"{image_id}.png", _hr(image_id))  # a "perfect" method: the HR itself
    folder = tmp_path / "s"
    create_study(
        folder,
        "demo",
        SCALE,
        ["bicubic", f"sr-dir:{srdir}"],
        labels=["bic", "perfect"],
        crop=16,
        max_images=2,
        trials_per_worker=2,
        seed=1,
    )
    plan = load_plan(folder)
    for views in plan.images.values():
        np.testing.assert_array_equal(
            read_image(folder / "images" / views["perfect"]), read_image(folder / "images" / views[HR_LABEL])
        )


def test_create_refuses_bad_options_with_one_line_errors(tmp_path: Path, study_template: Path) -> None:
    with pytest.raises(ConfigError, match="already holds a study"):
        create_study(study_template, "demo", SCALE, ["bicubic", "nearest"])
    with pytest.raises(ConfigError, match="at least two methods"):
        create_study(tmp_path / "a", "demo", SCALE, ["bicubic"], max_images=1)
    with pytest.raises(ConfigError, match="multiple of the scale"):
        create_study(tmp_path / "b", "demo", SCALE, ["bicubic", "nearest"], crop=30, max_images=1)
    with pytest.raises(DataError, match="larger than an image"):
        create_study(tmp_path / "c", "demo", SCALE, ["bicubic", "nearest"], crop=4000, max_images=1)
    with pytest.raises(ConfigError):
        create_study(tmp_path / "d", "demo", SCALE, ["bicubic", "no-such-method"], max_images=1)
    assert not (tmp_path / "d" / "study.json").exists()
