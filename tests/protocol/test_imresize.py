"""``imresize`` against MATLAB-written files, the numpy reference, and an explicit per-pass reference.

MATLAB files (``../shared/reference/fixtures``):

* ``matlab_imresize``: MATLAB R2017b ``imresize(im2double(baboon), s, 'bicubic')`` then ``imwrite``
  (clip to [0, 1], round half away from zero), down x2/x3/x4, up x2 and two corner crops of up x3.
* ``matlab_lrbicx2_set5``: BasicSR's ``generate_bicubic_img.m`` (double path) Set5 GTmod12 -> LRbicx2.
* the shipped LR folders of Set5/Set14/BSD100 (``../shared/datasets``, MANIFEST section 4), made by MATLAB on
  the uint8 path: ``lr_x4`` with the symmetric border, ``lr_x8`` and ``lr_x4_selfexsr`` with the replicate
  (index clamping) border.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image

from srbench.protocol.imresize import imresize, output_size
from srbench.testing.numpy_reference import imresize_np

pytestmark = pytest.mark.usefixtures("kernel_backend")  # compiled kernels and torch, same values

# --- helpers (independent of srbench) -----------------------------------------------------------------------


def _png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im)


def _chw(a: np.ndarray) -> torch.Tensor:
    """(H, W[, C]) array -> (C, H, W) float64 tensor (a copy: PIL arrays are read-only)."""
    t = torch.from_numpy(np.array(a, dtype=np.float64))
    return t[None] if t.ndim == 2 else t.permute(2, 0, 1).contiguous()


def _hwc(t: torch.Tensor) -> np.ndarray:
    a = t.numpy()
    return a[0] if a.shape[0] == 1 else a.transpose(1, 2, 0)


def _im2uint8(x: np.ndarray) -> np.ndarray:
    """MATLAB ``im2uint8`` / ``imwrite`` of a double image: clip to [0, 1], round half away from zero."""
    return np.floor(np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _double_path(rgb_uint8: np.ndarray, scale: float) -> np.ndarray:
    """``im2uint8(imresize(im2double(img), scale, 'bicubic'))`` with srbench."""
    return _im2uint8(_hwc(imresize(_chw(rgb_uint8) / 255.0, scale, path="double")))


def _keys(t: np.ndarray) -> np.ndarray:
    """Keys cubic, a = -0.5 (conventions 1.1)."""
    t = np.abs(t)
    return np.where(t <= 1, 1.5 * t**3 - 2.5 * t**2 + 1, np.where(t <= 2, -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2, 0.0))


def _resize_axis(x: np.ndarray, axis: int, n_out: int, scale: float, uint8: bool) -> np.ndarray:
    """One MATLAB 1-D bicubic pass written from conventions section 1 (per output pixel, taps summed in order).

    u = x/s + 0.5 (1 - 1/s) (1-based); taps floor(u - width/2) + 0..ceil(width)+1; h(t) = s W(s t) when
    shrinking; weights normalised; symmetric fold with the edge repeated; uint8: round and clip after the pass.
    """
    n_in = x.shape[axis]
    width = 4.0 / scale if scale < 1 else 4.0
    xm = np.moveaxis(x, axis, 0)
    out = np.empty((n_out, *xm.shape[1:]))
    for i in range(n_out):
        u = (i + 1) / scale + 0.5 * (1 - 1 / scale)
        first = math.floor(u - width / 2)
        taps = np.arange(first, first + math.ceil(width) + 2)
        w = scale * _keys(scale * (u - taps)) if scale < 1 else _keys(u - taps)
        total = 0.0
        for v in w:
            total += v
        w = w / total
        k = taps - 1  # 0-based
        k = np.where(k < 0, -k - 1, k)
        k = np.where(k >= n_in, 2 * n_in - 1 - k, k)
        acc = np.zeros(xm.shape[1:])
        for wt, kk in zip(w, k, strict=True):
            acc = acc + wt * xm[kk]
        out[i] = acc
    out = np.moveaxis(out, 0, axis)
    return np.floor(np.clip(out, 0, 255) + 0.5) if uint8 else out


# --- double path: MATLAB R2017b baboon files -----------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("k", [2, 3, 4])
def test_double_path_downscale_is_bit_exact_with_matlab_baboon(shared_fixtures: Path, k: int) -> None:
    folder = shared_fixtures / "matlab_imresize"
    out = _double_path(_png(folder / "baboon.png"), 1 / k)
    ref = _png(folder / f"baboon_down_x{k}_matlab.png")
    assert out.shape == ref.shape
    assert int((out != ref).sum()) == 0


@pytest.mark.shared
def test_double_path_upscale_x2_is_bit_exact_with_matlab_baboon(shared_fixtures: Path) -> None:
    folder = shared_fixtures / "matlab_imresize"
    out = _double_path(_png(folder / "baboon.png"), 2)
    ref = _png(folder / "baboon_up_x2_matlab.png")
    assert out.shape == ref.shape == (960, 984, 3)
    assert int((out != ref).sum()) == 0


@pytest.mark.shared
def test_double_path_upscale_x3_corner_crops_are_bit_exact_with_matlab_baboon(shared_fixtures: Path) -> None:
    # the fixture README: resize ALL of baboon by 3, convert to uint8, then compare the two 384x384 corners
    folder = shared_fixtures / "matlab_imresize"
    out = _double_path(_png(folder / "baboon.png"), 3)
    assert out.shape == (1440, 1476, 3)
    top_left = _png(folder / "baboon_up_x3_matlab_crop_top_left_384.png")
    bottom_right = _png(folder / "baboon_up_x3_matlab_crop_bottom_right_384.png")
    assert int((out[:384, :384] != top_left).sum()) == 0
    assert int((out[-384:, -384:] != bottom_right).sum()) == 0


@pytest.mark.shared
def test_double_path_matches_basicsr_matlab_lrbicx2_set5(shared_fixtures: Path) -> None:
    folder = shared_fixtures / "matlab_lrbicx2_set5"
    names = sorted(p.name for p in (folder / "GTmod12").glob("*.png"))
    assert len(names) == 5
    for name in names:
        out = _double_path(_png(folder / "GTmod12" / name), 1 / 2)
        ref = _png(folder / "LRbicx2" / name)
        assert out.shape == ref.shape, name
        assert int((out != ref).sum()) == 0, name


@pytest.mark.shared
def test_matlab_files_tell_the_paths_and_antialiasing_apart(shared_fixtures: Path) -> None:
    # the counts the fixture READMEs report for a uint8-path / no-antialias emulation: the bit-exact tests above
    # are discriminating, and srbench's other modes are the documented MATLAB modes
    folder = shared_fixtures / "matlab_imresize"
    baboon = _png(folder / "baboon.png")
    t8 = torch.from_numpy(baboon.copy()).permute(2, 0, 1)
    for k, n_uint8, max_noaa, mean_noaa in ((2, 26349, 56, 5.9), (3, 9635, 136, 14.8), (4, 4554, 103, 12.2)):
        ref = _png(folder / f"baboon_down_x{k}_matlab.png")
        uint8 = imresize(t8, 1 / k, path="uint8").numpy().transpose(1, 2, 0)
        assert int((uint8 != ref).sum()) == n_uint8
        assert int(np.abs(uint8.astype(int) - ref).max()) == 1
        noaa = _im2uint8(_hwc(imresize(_chw(baboon) / 255.0, 1 / k, antialias=False)))
        diff = np.abs(noaa.astype(int) - ref)
        assert int(diff.max()) == max_noaa and round(float(diff.mean()), 1) == mean_noaa
    up2 = imresize(t8, 2, path="uint8").numpy().transpose(1, 2, 0)
    assert int((up2 != _png(folder / "baboon_up_x2_matlab.png")).sum()) == 617359
    gt_folder = shared_fixtures / "matlab_lrbicx2_set5"
    counts = {"baby": 28047, "bird": 8652, "butterfly": 7310, "head": 7451, "woman": 8420}
    for name, n in counts.items():
        gt = torch.from_numpy(_png(gt_folder / "GTmod12" / f"{name}.png")).permute(2, 0, 1)
        lr = imresize(gt, 1 / 2, path="uint8").numpy().transpose(1, 2, 0)
        assert int((lr != _png(gt_folder / "LRbicx2" / f"{name}.png")).sum()) == n, name


# --- uint8 path: every shipped MATLAB LR file -----------------------------------------------------------------

LR_SETS = [
    ("set5", "lr_x4", 4, "symmetric", 5),
    ("set14", "lr_x4", 4, "symmetric", 14),
    ("set5", "lr_x8", 8, "replicate", 5),
    ("set14", "lr_x8", 8, "replicate", 14),
    ("set5", "lr_x4_selfexsr", 4, "replicate", 5),
    ("set14", "lr_x4_selfexsr", 4, "replicate", 14),
    ("bsd100", "lr_x4_selfexsr", 4, "replicate", 100),
]


@pytest.mark.shared
@pytest.mark.parametrize(("dataset", "folder", "scale", "border", "count"), LR_SETS)
def test_uint8_path_reproduces_every_shipped_lr_file(
    shared_datasets: Path,
    record_property: pytest.RecordProperty,
    dataset: str,
    folder: str,
    scale: int,
    border: str,
    count: int,
) -> None:
    files = sorted((shared_datasets / dataset / folder).glob("*.png"))
    assert len(files) == count
    # images of one HR shape are resized in one batched call (BSD100: 2 calls instead of 100)
    groups: dict[tuple[int, ...], list[tuple[Path, np.ndarray]]] = {}
    for f in files:
        hr = _png(shared_datasets / dataset / "hr" / f.name)
        h, w = hr.shape[:2]
        hr = hr[: h - h % scale, : w - w % scale]  # top-left modcrop (BSD100 481x321 -> 480x320)
        groups.setdefault(hr.shape, []).append((f, hr))
    exact, bad = 0, []
    for items in groups.values():
        t = torch.from_numpy(np.stack([hr for _, hr in items]))
        out = imresize(t if t.ndim == 3 else t.permute(0, 3, 1, 2), 1 / scale, path="uint8", border=border)
        assert out.dtype == torch.uint8
        for (f, _), o in zip(items, out.numpy(), strict=True):
            lr = _png(f)
            out_np = o if o.ndim == 2 else o.transpose(1, 2, 0)
            if out_np.ndim == 2 and lr.ndim == 3:  # Set14 bridge: gray in hr/, RGB R=G=B in lr_x8/
                out_np = np.repeat(out_np[..., None], 3, axis=2)
            if out_np.shape == lr.shape and int((out_np != lr).sum()) == 0:
                exact += 1
            else:
                bad.append(f.name)
    print(f"{dataset}/{folder}: {exact}/{len(files)} bit-exact (uint8 path, border={border})")
    record_property(f"bit_exact_{dataset}_{folder}", f"{exact}/{len(files)}")
    assert exact == len(files), f"not bit-exact: {bad}"


@pytest.mark.shared
@pytest.mark.parametrize(("folder", "scale", "wrong_border"), [("lr_x4", 4, "replicate"), ("lr_x8", 8, "symmetric")])
def test_the_other_border_reproduces_no_shipped_lr_file(
    shared_datasets: Path, folder: str, scale: int, wrong_border: str
) -> None:
    # MANIFEST section 4: 0/19 with the other border; the border option is what makes the files reproducible
    exact = 0
    for dataset in ("set5", "set14"):
        for f in sorted((shared_datasets / dataset / folder).glob("*.png")):
            hr = _png(shared_datasets / dataset / "hr" / f.name)
            h, w = hr.shape[:2]
            hr = hr[: h - h % scale, : w - w % scale]
            t = torch.from_numpy(np.ascontiguousarray(hr))
            out = imresize(t if t.ndim == 2 else t.permute(2, 0, 1), 1 / scale, path="uint8", border=wrong_border)
            o = out.numpy() if hr.ndim == 2 else out.numpy().transpose(1, 2, 0)
            lr = _png(f)
            if o.ndim == 2 and lr.ndim == 3:
                o = np.repeat(o[..., None], 3, axis=2)
            exact += int(np.array_equal(o, lr))
    assert exact == 0


@pytest.mark.shared
def test_bsd100_selfexsr_lr_pairs_with_the_top_left_mod4_crop(shared_datasets: Path) -> None:
    for name in ("101085.png", "97033.png"):
        hr = _png(shared_datasets / "bsd100" / "hr" / name)
        lr = _png(shared_datasets / "bsd100" / "lr_x4_selfexsr" / name)
        assert sorted(hr.shape[:2]) == [321, 481]
        assert (lr.shape[0] * 4, lr.shape[1] * 4) == (hr.shape[0] - 1, hr.shape[1] - 1)


# --- agreement with the numpy reference ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(37, 53), (61, 29), (45, 45), (13, 7)])
@pytest.mark.parametrize("scale", [1 / 2, 1 / 3, 1 / 4, 1 / 8, 2, 3, 4, 8])
def test_double_path_agrees_with_numpy_reference(shape: tuple[int, int], scale: float) -> None:
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    x = rng.uniform(-0.2, 1.2, shape)  # over- and undershoot, as MATLAB's double path allows
    out = imresize(torch.from_numpy(x), scale).numpy()
    ref = imresize_np(x, scale)
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() < 1e-12


def test_uint8_path_agrees_with_numpy_reference() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(0, 256, (41, 67)).astype(np.float64)
    for scale in (1 / 2, 1 / 3, 1 / 4, 1 / 8, 2, 3):
        assert_array_equal(imresize(torch.from_numpy(x), scale, path="uint8").numpy(), imresize_np(x, scale, "uint8"))


# --- properties ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "scale"), [(37, 1 / 4), (37, 1 / 3), (480, 1 / 3), (492, 1 / 3), (29, 1 / 8), (7, 1 / 2), (13, 3), (5, 8)]
)
def test_output_size_is_ceil_of_scale_times_size(n: int, scale: float) -> None:
    k = round(1 / scale) if scale < 1 else round(scale)
    expected = -(-n // k) if scale < 1 else n * k  # exact integer ceil(n / k) or n * k
    assert output_size((n, n + 1), scale) == (expected, -(-(n + 1) // k) if scale < 1 else (n + 1) * k)
    out = imresize(torch.zeros(1, n, n + 1, dtype=torch.float64), scale)
    assert tuple(out.shape[-2:]) == output_size((n, n + 1), scale)


@pytest.mark.parametrize("scale", [1 / 3, 1 / 4, 1 / 8, 3, 4])
def test_constant_image_stays_constant(scale: float) -> None:
    c = torch.full((2, 3, 17, 23), 0.37, dtype=torch.float64)
    assert_allclose(imresize(c, scale).numpy(), 0.37, rtol=0, atol=1e-12)
    c8 = torch.full((1, 17, 23), 201, dtype=torch.uint8)
    assert_array_equal(imresize(c8, scale, path="uint8").numpy(), 201)


def test_batch_and_channel_dims_are_independent() -> None:
    rng = np.random.default_rng(3)
    x = torch.from_numpy(rng.uniform(0, 1, (2, 3, 26, 35)))
    for scale in (1 / 4, 3):
        batch = imresize(x, scale).numpy()
        for i in range(2):
            for c in range(3):
                single = imresize(x[i, c].clone(), scale).numpy()
                assert_array_equal(batch[i, c], single)
    # a 5-D stack too
    y = x.reshape(2, 3, 1, 26, 35)
    assert_array_equal(imresize(y, 1 / 2).numpy()[:, :, 0], imresize(x, 1 / 2).numpy())


def test_uint8_path_with_uint8_input_returns_uint8() -> None:
    x = torch.from_numpy(np.random.default_rng(4).integers(0, 256, (3, 20, 24), dtype=np.uint8))
    out = imresize(x, 1 / 4, path="uint8")
    assert out.dtype == torch.uint8
    assert tuple(out.shape) == (3, 5, 6)
    # float input on the uint8 path: integer-valued float64 on [0, 255]
    out_f = imresize(x.to(torch.float64), 1 / 4, path="uint8")
    assert out_f.dtype == torch.float64
    assert_array_equal(out_f.numpy(), out.numpy().astype(np.float64))


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_nearest_integer_upscale_equals_np_repeat(scale: int) -> None:
    x = np.random.default_rng(scale).uniform(0, 1, (2, 9, 14))
    out = imresize(torch.from_numpy(x), scale, kernel="nearest").numpy()
    assert_array_equal(out, np.repeat(np.repeat(x, scale, axis=-2), scale, axis=-1))


@pytest.mark.parametrize(("shape", "size"), [((40, 30), (20, 45)), ((30, 40), (45, 20))])
def test_size_call_resizes_the_smaller_scale_dimension_first(shape: tuple[int, int], size: tuple[int, int]) -> None:
    # On the double path the two passes commute (up to float rounding); on the uint8 path each pass rounds,
    # so the order is visible. MATLAB sorts the per-axis scales and resizes the smaller one first.
    x = np.random.default_rng(11).integers(0, 256, shape).astype(np.float64)
    scales = (size[0] / shape[0], size[1] / shape[1])
    rows_first = _resize_axis(_resize_axis(x, 0, size[0], scales[0], True), 1, size[1], scales[1], True)
    cols_first = _resize_axis(_resize_axis(x, 1, size[1], scales[1], True), 0, size[0], scales[0], True)
    smaller_first = rows_first if scales[0] <= scales[1] else cols_first
    other = cols_first if scales[0] <= scales[1] else rows_first
    out = imresize(torch.from_numpy(x), size=size, path="uint8").numpy()
    assert out.shape == size
    assert_array_equal(out, smaller_first)
    assert int((other != smaller_first).sum()) > 50  # the reference tells the two orders apart


def test_equal_scales_resize_rows_first_and_match_the_per_pass_reference() -> None:
    x = np.random.default_rng(12).integers(0, 256, (36, 28)).astype(np.float64)
    rows_first = _resize_axis(_resize_axis(x, 0, 9, 0.25, True), 1, 7, 0.25, True)
    assert_array_equal(imresize(torch.from_numpy(x), 1 / 4, path="uint8").numpy(), rows_first)
    xd = x / 255
    ref = _resize_axis(_resize_axis(xd, 0, 9, 0.25, False), 1, 7, 0.25, False)
    assert_allclose(imresize(torch.from_numpy(xd), 1 / 4).numpy(), ref, rtol=0, atol=1e-13)
