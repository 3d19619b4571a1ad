"""Figures: the Fig. 8 comparison shows the scored pixels with the scored numbers; the chart shows the means.

References are independent of the figure code: ``evaluate()`` for the captions, scikit-image's image data and
``rgb2ycbcr`` for the HR crops, pandas for the chart means.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skimage.color
import skimage.data
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from PIL import Image
from torch import Tensor

from srbench.data.datasets import Dataset, resolve_dataset
from srbench.errors import ConfigError, DataError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.methods.base import Method
from srbench.protocol.record import get_protocol
from srbench.report.figures import (
    auto_box,
    chart_data,
    comparison_panels,
    metric_chart,
    render_chart,
    render_comparison,
    visual_comparison,
)
from srbench.report.stats import bootstrap_mean_ci

SCALE = 4


class RGBBicubic(Method):
    """A stand-in for a network: works on RGB (torch bicubic), so RGB panels apply."""

    name = "rgb-bicubic"
    space = "rgb"

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)


def demo_subset(*ids: str) -> Dataset:
    ds = resolve_dataset("demo", None)
    return Dataset(ds.name, ds.title, tuple(i for i in ds.images if i.id in ids))


@pytest.fixture(scope="module")
def demo_rows() -> pd.DataFrame:
    methods = [resolve_method("bicubic"), resolve_method("nearest"), RGBBicubic()]
    return evaluate(EvalRequest([demo_subset("chelsea", "camera")], methods, (SCALE,), ("psnr", "ssim"))).rows


def hr_modcrop(image_id: str) -> np.ndarray:
    a = getattr(skimage.data, image_id)()
    return a[: a.shape[0] - a.shape[0] % SCALE, : a.shape[1] - a.shape[1] % SCALE]


def bt601_y(rgb: np.ndarray) -> np.ndarray:
    """MATLAB's uint8 rgb2ycbcr luminance, via scikit-image (values are positive: round half up)."""
    return np.floor(skimage.color.rgb2ycbcr(rgb)[..., 0] + 0.5)


@pytest.mark.parametrize("image_id", ["chelsea", "camera"])
def test_captions_equal_the_values_evaluate_reports(demo_rows: pd.DataFrame, image_id: str) -> None:
    comp = comparison_panels(demo_subset(image_id), image_id, SCALE, ["bicubic", "nearest"])
    assert comp.panels[0].psnr is None
    for panel in comp.panels[1:]:
        row = demo_rows[(demo_rows.method == panel.label) & (demo_rows.image == image_id)].iloc[0]
        assert panel.psnr == pytest.approx(row.psnr, rel=1e-12)
        assert panel.ssim == pytest.approx(row.ssim, rel=1e-12)
        assert f"{row.psnr:.2f} / {row.ssim:.4f}" in panel.caption()


def test_y_panels_show_the_protocol_luminance_of_the_hr_crop() -> None:
    box = (10, 20, 40, 50)
    comp = comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, ["bicubic"], box=box)
    assert comp.display == "y"
    expected = bt601_y(hr_modcrop("chelsea"))[10:50, 20:70]
    np.testing.assert_array_equal(comp.panels[0].pixels, expected)
    assert comp.panels[1].pixels.shape == (40, 50)


def test_rgb_panels_show_hr_pixels_and_the_output_whose_luminance_is_scored(demo_rows: pd.DataFrame) -> None:
    box = (30, 40, 64, 48)
    method = RGBBicubic()
    rgb = comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, [method], box=box)
    y = comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, [method], box=box, display="y")
    assert rgb.display == "rgb"
    np.testing.assert_array_equal(rgb.panels[0].pixels, hr_modcrop("chelsea")[30:94, 40:88])
    assert rgb.panels[1].pixels.dtype == np.uint8
    np.testing.assert_array_equal(bt601_y(rgb.panels[1].pixels), y.panels[1].pixels)
    row = demo_rows[(demo_rows.method == method.name) & (demo_rows.image == "chelsea")].iloc[0]
    assert rgb.panels[1].psnr == pytest.approx(row.psnr, rel=1e-12)


def test_the_figure_draws_the_panel_arrays_without_resampling_blur() -> None:
    box = (8, 8, 30, 30)
    comp = comparison_panels(demo_subset("camera"), "camera", SCALE, ["nearest"], box=box)
    fig = render_comparison(comp)
    drawn = fig.axes[1].images[0]
    np.testing.assert_array_equal(np.asarray(drawn.get_array()), hr_modcrop("camera")[8:38, 8:38])
    assert drawn.get_interpolation() == "nearest"
    np.testing.assert_array_equal(np.asarray(fig.axes[2].images[0].get_array()), comp.panels[1].pixels)


def test_visual_comparison_writes_a_valid_png_and_pdf(tmp_path: Path) -> None:
    paths = visual_comparison(demo_subset("camera"), "camera", SCALE, ["bicubic"], out=tmp_path / "fig8.png")
    assert paths == [tmp_path / "fig8.png", tmp_path / "fig8.pdf"]
    with Image.open(paths[0]) as im:
        im.verify()
        assert im.format == "PNG"
    assert paths[1].read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig8.pdf", "fig8.png"]  # no temporary files left


def test_missing_image_is_a_one_line_data_error_naming_the_images() -> None:
    with pytest.raises(DataError) as exc:
        comparison_panels("demo", "lena", SCALE, ["bicubic"])
    assert "no image 'lena'" in str(exc.value)
    assert "astronaut" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_box_outside_the_image_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="does not fit the 448x300"):
        comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, ["bicubic"], box=(290, 0, 20, 20))


def test_rgb_panels_of_a_y_only_method_are_its_scored_y_with_the_lr_chroma() -> None:
    """Bicubic has no colour output: its RGB panel is its SR luminance with the LR's chroma upscaled, so the
    panel's luminance (scikit-image's rgb2ycbcr) is the scored one up to the RGB rounding, and the figure says so."""
    box = (40, 60, 64, 64)
    rgb = comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, ["bicubic"], box=box, display="rgb")
    y = comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, ["bicubic"], box=box, display="y")
    assert rgb.display == "rgb" and rgb.lr_chroma == ("bicubic",) and y.lr_chroma == ()
    panel = rgb.panels[1].pixels
    assert panel.shape == (64, 64, 3) and panel.dtype == np.uint8
    luma = skimage.color.rgb2ycbcr(panel)[..., 0]
    assert np.abs(luma - y.panels[1].pixels).max() <= 1.0
    assert (rgb.panels[1].psnr, rgb.panels[1].ssim) == (y.panels[1].psnr, y.panels[1].ssim)
    fig = render_comparison(rgb)
    assert "LR chroma" in fig._suptitle.get_text()
    with pytest.raises(ConfigError, match="histogram-matches"):
        comparison_panels(
            demo_subset("chelsea"),
            "chelsea",
            SCALE,
            ["bicubic"],
            display="rgb",
            protocol=get_protocol("standard").replace(histmatch="rgb"),
        )


def test_unknown_method_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown method"):
        comparison_panels(demo_subset("chelsea"), "chelsea", SCALE, ["no-such-method"])


def test_auto_box_finds_the_textured_window() -> None:
    y = np.full((90, 120), 100.0)
    y[40:70, 70:100] += np.random.default_rng(0).uniform(-50, 50, size=(30, 30))
    top, left, h, w = auto_box(y, border=4)
    assert (h, w) == (30, 30)  # a third of the short side
    assert abs(top - 40) <= 1 and abs(left - 70) <= 1


def test_auto_box_is_deterministic_and_stays_inside_the_shave() -> None:
    assert auto_box(np.zeros((60, 60)), border=3) == (3, 3, 20, 20)  # ties: top-most, left-most
    y = np.zeros((60, 60))
    y[0:5, 0:5] = 255.0  # energy only in the shaved border must not pull the box there
    top, left, _, _ = auto_box(y, border=8)
    assert top >= 8 and left >= 8


# --- chart -----------------------------------------------------------------------------------------------------


def fake_rows() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    recs = []
    for ds, n in (("set5", 5), ("set14", 14)):
        for m, base in (("bicubic", 28.0), ("srcnn", 30.0)):
            for i in range(n):
                recs.append({"dataset": ds, "scale": 4, "method": m, "image": f"{ds}-{i}",
                             "psnr": base + rng.normal(), "protocol_key": "k"})  # fmt: skip
    return pd.DataFrame.from_records(recs)


def test_chart_data_means_and_intervals() -> None:
    rows = fake_rows()
    data = chart_data(rows, "psnr", n_boot=2000)
    ref = rows.groupby(["dataset", "method"], sort=False)["psnr"].agg(["mean", "size"]).reset_index()
    assert list(data.dataset) == list(ref.dataset) and list(data.method) == list(ref.method)
    np.testing.assert_allclose(data["mean"], ref["mean"], rtol=1e-12)
    assert list(data.n) == list(ref["size"])
    g = rows[(rows.dataset == "set14") & (rows.method == "srcnn")]["psnr"].to_numpy()
    row = data[(data.dataset == "set14") & (data.method == "srcnn")].iloc[0]
    assert (row.ci_low, row.ci_high) == bootstrap_mean_ci(g, n_boot=2000)
    assert (data.ci_low < data["mean"]).all() and (data["mean"] < data.ci_high).all()


def test_chart_bars_are_the_means() -> None:
    data = chart_data(fake_rows(), "psnr", n_boot=1000)
    ax = render_chart(data, "psnr").axes[0]
    heights = sorted(p.get_height() for p in ax.patches if isinstance(p, Rectangle))
    np.testing.assert_allclose(heights, sorted(data["mean"]), rtol=1e-12)


def test_metric_chart_writes_png_and_pdf(tmp_path: Path) -> None:
    paths = metric_chart(fake_rows(), "psnr", out=tmp_path / "chart")
    with Image.open(paths[0]) as im:
        im.verify()
    assert paths[1].read_bytes().startswith(b"%PDF")


def test_chart_refuses_mixed_scales_and_protocols() -> None:
    rows = fake_rows()
    with pytest.raises(ConfigError, match="pass one scale"):
        chart_data(pd.concat([rows, rows.assign(scale=2)]), "psnr")
    with pytest.raises(ConfigError, match="2 protocols"):
        chart_data(pd.concat([rows, rows.assign(protocol_key="other", image=rows.image + "b")]), "psnr")
    with pytest.raises(DataError, match="no ssim scores"):
        chart_data(rows.assign(ssim=np.nan), "ssim")


def test_sr_folder_panels_show_the_given_files_with_their_psnr(tmp_path: Path) -> None:
    hr = skimage.data.camera()  # 512x512 gray: Y is the pixel value
    sr = np.minimum(hr.astype(np.int64) + 1, 255).astype(np.uint8)
    Image.fromarray(sr).save(tmp_path / "camera.png")
    comp = comparison_panels(demo_subset("camera"), "camera", SCALE, [f"sr-dir:{tmp_path}"], box=(0, 0, 16, 16))
    np.testing.assert_array_equal(comp.panels[1].pixels, sr[:16, :16])
    err = (sr.astype(np.float64) - hr)[SCALE:-SCALE, SCALE:-SCALE]
    assert comp.panels[1].psnr == pytest.approx(10 * np.log10(255.0**2 / np.mean(err**2)), rel=1e-12)


def test_sr_folder_with_a_wrong_size_file_is_a_data_error(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((100, 100), np.uint8)).save(tmp_path / "camera.png")
    with pytest.raises(DataError, match="size mismatch"):
        comparison_panels(demo_subset("camera"), "camera", SCALE, [f"sr-dir:{tmp_path}"])
