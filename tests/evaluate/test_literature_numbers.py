"""End to end: the default protocol reproduces the published bicubic baselines on Set5 / Set14 / BSD100.

Reference values (``../shared/reference/evaluation-conventions.md``):

* section 0 / 5.3, x4 bicubic, Y, PSNR / SSIM: literature (VDSR Table 3) 28.42/0.8104, 26.00/0.7027,
  25.96/0.6675; measured with the verified protocol 28.421/0.8104, 26.000/0.7019, 25.961/0.6674.
* section 0, x8 bicubic, same protocol: 24.391/0.6571, 23.092/0.5627, 23.667/0.5435.
* section 5.1/5.2, Johnson et al. Fig. 8 per-image example: Set5 ``baby`` bicubic x4 PSNR 31.78.

Per-image values are also checked against the independent numpy reference (``bicubic_scores_np``: its own
imresize, BT.601 Y and scikit-image SSIM).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from srbench.data.datasets import resolve_dataset
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.protocol.colour import rgb_to_y
from srbench.testing.numpy_reference import bicubic_scores_np, rgb2y_np

pytestmark = pytest.mark.shared

X4_LITERATURE = {"set5": (28.42, 0.8104), "set14": (26.00, 0.7027), "bsd100": (25.96, 0.6675)}
X4_MEASURED_SSIM = {"set5": 0.8104, "set14": 0.7019, "bsd100": 0.6674}
X8_MEASURED = {"set5": (24.39, 0.6571), "set14": (23.09, 0.5627), "bsd100": (23.67, 0.5435)}


@pytest.fixture(scope="module")
def bicubic_rows(shared_datasets: Path) -> pd.DataFrame:
    datasets = [resolve_dataset(n, shared_datasets) for n in ("set5", "set14", "bsd100")]
    result = evaluate(EvalRequest(datasets, [resolve_method("bicubic")], scales=(4, 8), metrics=("psnr", "ssim")))
    assert result.computed_groups == 6 and result.reused_groups == 0
    return result.rows


def _means(rows: pd.DataFrame, dataset: str, scale: int) -> tuple[float, float, int]:
    sel = rows[(rows["dataset"] == dataset) & (rows["scale"] == scale)]
    return float(sel["psnr"].mean()), float(sel["ssim"].mean()), len(sel)


@pytest.mark.parametrize("dataset", ["set5", "set14", "bsd100"])
def test_x4_bicubic_means_reproduce_the_literature(bicubic_rows: pd.DataFrame, dataset: str) -> None:
    p, s, n = _means(bicubic_rows, dataset, 4)
    print(f"{dataset} x4 bicubic: PSNR {p:.4f} SSIM {s:.5f} ({n} images)")
    assert n == {"set5": 5, "set14": 14, "bsd100": 100}[dataset]
    lit_psnr, lit_ssim = X4_LITERATURE[dataset]
    assert round(p, 2) == lit_psnr
    assert abs(s - X4_MEASURED_SSIM[dataset]) < 5e-5
    assert abs(s - lit_ssim) < 1e-3  # Set14 0.7019 vs the published 0.7027 (conventions 5.2)


@pytest.mark.parametrize("dataset", ["set5", "set14", "bsd100"])
def test_x8_bicubic_means_reproduce_the_measured_standard_protocol(bicubic_rows: pd.DataFrame, dataset: str) -> None:
    p, s, _ = _means(bicubic_rows, dataset, 8)
    print(f"{dataset} x8 bicubic: PSNR {p:.4f} SSIM {s:.5f}")
    assert (round(p, 2), round(s, 4)) == X8_MEASURED[dataset]


def test_paper_per_image_example_baby_x4(bicubic_rows: pd.DataFrame) -> None:
    baby = bicubic_rows[(bicubic_rows["image"] == "baby") & (bicubic_rows["scale"] == 4)]
    assert len(baby) == 1
    assert round(float(baby["psnr"].iloc[0]), 2) == 31.78  # Johnson et al. Fig. 8
    # rounded Y gives 0.8567; the paper prints 0.8577, float Y 0.8575 (conventions 5.2): same ballpark only
    assert abs(float(baby["ssim"].iloc[0]) - 0.8577) < 2e-3


def _tie_pixels(hr: np.ndarray) -> np.ndarray:
    """Pixels whose exact BT.601 Y is k + 0.5: the two roundings may legitimately differ there."""
    if hr.ndim == 2:
        return np.zeros(hr.shape, dtype=bool)
    r, g, b = (hr[..., i].astype(np.int64) for i in range(3))
    s = 65481 * r + 128553 * g + 24966 * b
    return (s % 255000) == 127500


def _check_against_numpy_reference(rows: pd.DataFrame, root: Path, dataset: str, ids: list[str]) -> set[str]:
    """Compare srbench's per-image values with ``bicubic_scores_np``; returns the images that hold Y ties."""
    from srbench.data.imageio import read_image

    with_ties: set[str] = set()
    for scale in (4, 8):
        for image_id in ids:
            row = rows[(rows["dataset"] == dataset) & (rows["scale"] == scale) & (rows["image"] == image_id)]
            assert len(row) == 1, (dataset, scale, image_id)
            hr = read_image(root / dataset / "hr" / f"{image_id}.png")
            ref = bicubic_scores_np(hr, scale)
            ties = _tie_pixels(hr)
            if not ties.any():
                assert abs(float(row["psnr"].iloc[0]) - ref["psnr"]) < 1e-9, (dataset, scale, image_id)
                assert abs(float(row["ssim"].iloc[0]) - ref["ssim"]) < 1e-9, (dataset, scale, image_id)
                continue
            # Set5 butterfly and Set14 monarch hold the colour (146, 124, 97), whose exact Y is 125.5: the numpy
            # reference (sum, then /255) rounds it up to 126, srbench (MATLAB imlincomb order, (c/255)*x summed)
            # lands on 125.49999999999999 and rounds down. The two Y images differ on exactly those pixels, by 1;
            # the scores then differ by 3e-6 to 3e-5 dB and < 2e-6 SSIM.
            with_ties.add(image_id)
            y_ours = rgb_to_y(torch.from_numpy(hr.astype(np.float64)).permute(2, 0, 1)[None])[0, 0].numpy()
            diff = y_ours != rgb2y_np(hr)
            assert np.all(diff <= ties) and np.all(np.abs(y_ours - rgb2y_np(hr))[diff] == 1)
            assert abs(float(row["psnr"].iloc[0]) - ref["psnr"]) < 1e-4, (dataset, scale, image_id)
            assert abs(float(row["ssim"].iloc[0]) - ref["ssim"]) < 1e-5, (dataset, scale, image_id)
    return with_ties


@pytest.mark.parametrize("dataset", ["set5", "set14"])
def test_per_image_values_agree_with_the_numpy_reference(
    bicubic_rows: pd.DataFrame, shared_datasets: Path, dataset: str
) -> None:
    ids = sorted(bicubic_rows.loc[bicubic_rows["dataset"] == dataset, "image"].unique())
    with_ties = _check_against_numpy_reference(bicubic_rows, shared_datasets, dataset, ids)
    print(f"{dataset}: images holding exact-.5 Y colours: {sorted(with_ties)}")
    assert {"set5": "butterfly", "set14": "monarch"}[dataset] in with_ties


def test_per_image_values_agree_with_the_numpy_reference_on_a_bsd100_sample(
    bicubic_rows: pd.DataFrame, shared_datasets: Path
) -> None:
    rows = bicubic_rows[(bicubic_rows["dataset"] == "bsd100") & (bicubic_rows["scale"] == 4)]
    ids = sorted(rows["image"])[::12]  # 9 landscape and portrait images
    portrait = sorted(rows.loc[rows["height"] > rows["width"], "image"])
    sample = sorted(set(ids) | set(portrait[:2]))
    assert 10 <= len(sample) <= 12 and set(portrait) & set(sample)
    _check_against_numpy_reference(bicubic_rows, shared_datasets, "bsd100", sample)


def test_given_matlab_lr_files_score_within_002_db_of_computed_lr(
    bicubic_rows: pd.DataFrame, shared_datasets: Path
) -> None:
    datasets = [resolve_dataset(n, shared_datasets) for n in ("set5", "set14")]
    given = evaluate(
        EvalRequest(
            datasets,
            [resolve_method("bicubic")],
            scales=(4,),
            metrics=("psnr", "ssim"),
            lr_dir=str(shared_datasets / "{dataset}" / "lr_x4"),
        )
    ).rows
    assert set(given["protocol"].map(lambda j: '"degradation":"given"' in j)) == {True}
    for name in ("set5", "set14"):
        p_given = float(given.loc[given["dataset"] == name, "psnr"].mean())
        p_computed, _, _ = _means(bicubic_rows, name, 4)
        print(f"{name} x4: given MATLAB uint8 LR {p_given:.4f} dB vs computed double LR {p_computed:.4f} dB")
        # observed: Set5 28.4143 vs 28.4207 (-0.0064 dB), Set14 25.9876 vs 26.0001 (-0.0125 dB): the given LR is
        # uint8 (made on MATLAB's uint8 path and quantised), the computed one double and unquantised
        assert abs(p_given - p_computed) < 0.02
