"""Gray FSIM: ``variant="piq"`` (``fsim-piq``) equals ``piq.fsim(chromatic=False)``; properties of both variants,
the filter cache, transposition. (``fsim`` against ``FeatureSIM.m`` itself: ``test_featuresim.py``.)

piq's own regression value (goldhill vs its JPEG, 0.89691) needs images that are not available offline, so the
independent checks here are properties: identity gives 1, blur lowers the score monotonically, the score is
symmetric, and transposing both images keeps it (exactly for odd x odd pooled shapes; see
``test_transposition_with_an_even_side_matches_piq_and_moves_the_score_below_1e_5``).
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import piq
import pytest
import skimage.data
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from srbench.metrics import METRICS
from srbench.metrics import fsim as fsim_module
from srbench.metrics.fsim import FSIM, downsample_factor, filter_bank_cache_info, fsim

PIQ_TOL_F32 = 1e-5  # default float32 FFT stage (observed <= 3e-7)
PIQ_TOL_F64 = 1e-12  # compute_dtype=float64 (observed <= 1e-15)


def _y601(rgb: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma of 8-bit RGB, rounded: Y = 16 + 65.481 r + 128.553 g + 24.966 b, r,g,b in [0,1]."""
    r, g, b = (rgb[..., i].astype(np.float64) / 255.0 for i in range(3))
    return np.round(16.0 + 65.481 * r + 128.553 * g + 24.966 * b)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(np.round(gaussian_filter(img, sigma, mode="reflect")), 0, 255)


def _noise(img: np.ndarray, std: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.round(img + rng.normal(0.0, std, img.shape)), 0, 255)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img.astype(np.uint8), mode="L").save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    return np.asarray(Image.open(buf), dtype=np.float64)


def _t(*arrays: np.ndarray) -> torch.Tensor:
    """(H, W) arrays -> (N, 1, H, W) float64."""
    return torch.from_numpy(np.stack([np.ascontiguousarray(a, dtype=np.float64) for a in arrays]))[:, None]


def _piq(sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    return piq.fsim(sr / 255, hr / 255, data_range=1.0, chromatic=False, reduction="none")


@pytest.fixture(scope="module")
def camera() -> np.ndarray:
    return np.asarray(skimage.data.camera(), dtype=np.float64)


@pytest.fixture(scope="module")
def astronaut_y() -> np.ndarray:
    return _y601(skimage.data.astronaut())


# (source, crop, distortion): square and non-square, odd and even sides, F = 1 and F = 2 pooling
CASES = {
    "camera-512-jpeg-F2": ("camera", (slice(None), slice(None)), ("jpeg", 25)),
    "astronaut-384x520-blur-F2": ("astronaut", (slice(0, 384), slice(0, 520)), ("blur", 1.5)),
    "astronaut-121x163-noise": ("astronaut", (slice(100, 221), slice(120, 283)), ("noise", 8.0)),
    "camera-150x200-jpeg": ("camera", (slice(50, 200), slice(100, 300)), ("jpeg", 10)),
}


def _distort(img: np.ndarray, how: tuple[str, float]) -> np.ndarray:
    kind, amount = how
    if kind == "blur":
        return _blur(img, amount)
    if kind == "noise":
        return _noise(img, amount, seed=7)
    return _jpeg(img, int(amount))


@pytest.mark.parametrize("case", sorted(CASES))
def test_equals_piq_gray_fsim_on_distorted_natural_images(
    case: str, camera: np.ndarray, astronaut_y: np.ndarray
) -> None:
    source, crop, how = CASES[case]
    hr = (camera if source == "camera" else astronaut_y)[crop]
    sr = _distort(hr, how)
    x, y = _t(sr), _t(hr)
    expected = _piq(x, y)
    assert 0.5 < expected.item() < 1.0  # a real distortion, not a degenerate case
    got32 = fsim(x, y, variant="piq")
    got64 = fsim(x, y, variant="piq", compute_dtype=torch.float64)
    assert got32.dtype == torch.float64 and got32.shape == (1,)
    assert (got32 - expected).abs().max().item() <= PIQ_TOL_F32
    assert (got64 - expected).abs().max().item() <= PIQ_TOL_F64


def test_equals_piq_per_image_on_a_batch(camera: np.ndarray, astronaut_y: np.ndarray) -> None:
    hrs = [camera[:120, :181], astronaut_y[200:320, 40:221], camera[300:420, 200:381]]
    srs = [_blur(hrs[0], 1.0), _jpeg(hrs[1], 15), _noise(hrs[2], 12.0, seed=3)]
    x, y = _t(*srs), _t(*hrs)
    expected = _piq(x, y)
    got = fsim(x, y, variant="piq")
    assert got.shape == (3,)
    assert (got - expected).abs().max().item() <= PIQ_TOL_F32
    # neither the chunking (here one pair per chunk) nor the batch changes a value on CPU
    assert torch.equal(fsim(x, y, variant="piq", max_chunk_bytes=1), got)
    assert torch.equal(fsim(x[1:2], y[1:2], variant="piq"), got[1:2])
    assert (fsim(x, y, variant="piq", compute_dtype=torch.float64) - expected).abs().max().item() <= PIQ_TOL_F64


def test_data_range_rescales_like_piq(camera: np.ndarray) -> None:
    hr = camera[:128, :160]
    x, y = _t(_blur(hr, 2.0)), _t(hr)
    expected = fsim(x, y, compute_dtype=torch.float64)
    got = fsim(x / 255, y / 255, data_range=1.0, compute_dtype=torch.float64)
    assert (got - expected).abs().item() <= 1e-12


def test_identical_images_score_one(camera: np.ndarray, astronaut_y: np.ndarray) -> None:
    x = _t(camera[:150, :200], astronaut_y[:150, :200], np.full((150, 200), 128.0))
    for dtype in (torch.float32, torch.float64):
        got = fsim(x, x.clone(), compute_dtype=dtype)
        assert torch.allclose(got, torch.ones(3, dtype=torch.float64), rtol=0, atol=1e-12)


def test_score_decreases_monotonically_with_gaussian_blur(astronaut_y: np.ndarray) -> None:
    hr = astronaut_y[60:220, 150:350]
    sigmas = [0.5, 1.0, 1.5, 2.5, 4.0]
    scores = fsim(_t(*[_blur(hr, s) for s in sigmas]), _t(*[hr] * len(sigmas))).tolist()
    assert all(a > b for a, b in itertools.pairwise(scores)), scores
    assert scores[0] < 1.0


def test_symmetric_in_its_arguments(camera: np.ndarray) -> None:
    hr = camera[100:260, 50:283]
    x, y = _t(_jpeg(hr, 20), _noise(hr, 10.0, seed=1)), _t(hr, hr)
    for dtype in (torch.float32, torch.float64):
        assert (fsim(x, y, compute_dtype=dtype) - fsim(y, x, compute_dtype=dtype)).abs().max().item() <= 1e-12


def test_filter_bank_is_built_once_per_shape(monkeypatch: pytest.MonkeyPatch, camera: np.ndarray) -> None:
    calls: list[tuple[int, int]] = []
    build = fsim_module.log_gabor_spectra

    def counting(h: int, w: int, *args: object) -> torch.Tensor:
        calls.append((h, w))
        return build(h, w, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(fsim_module, "log_gabor_spectra", counting)
    fsim_module.clear_filter_bank_cache()
    a = _t(camera[:100, :150], camera[100:200, :150])
    b = _t(_blur(camera[:100, :150], 1.0), camera[100:200, :150])
    first = fsim(a, b)
    for _ in range(3):
        assert torch.equal(fsim(a, b), first)
    assert calls == [(100, 150)]
    info = filter_bank_cache_info()
    assert (info.misses, info.hits) == (1, 3)
    fsim(a[..., :120], b[..., :120])  # a new shape builds a new bank
    fsim(a.double()[:1], b[:1])  # the batch size does not matter
    assert calls == [(100, 150), (100, 120)]
    fsim_module.clear_filter_bank_cache()


def _transpose(t: torch.Tensor) -> torch.Tensor:
    return t.transpose(-1, -2).contiguous()


def test_transposing_both_images_keeps_the_score_for_odd_pooled_shapes(astronaut_y: np.ndarray) -> None:
    """Odd x odd (pooled) shapes: the bank maps onto itself exactly, so only rounding differs (float64: 1e-9)."""
    rng = np.random.default_rng(11)
    random_ish = np.clip(np.round(gaussian_filter(rng.uniform(0, 255, (181, 263)), 1.0)), 0, 255)
    natural = astronaut_y[:181, 50:313]
    x = _t(_blur(natural, 1.2), _noise(random_ish, 15.0, seed=2))
    y = _t(natural, random_ish)
    for dtype, tol in ((torch.float64, 1e-9), (torch.float32, 1e-6)):
        straight = fsim(x, y, compute_dtype=dtype)
        transposed = fsim(_transpose(x), _transpose(y), compute_dtype=dtype)
        assert (straight - transposed).abs().max().item() <= tol, (dtype, straight, transposed)


def test_transposition_with_an_even_side_matches_piq_and_moves_the_score_below_1e_5(
    astronaut_y: np.ndarray,
) -> None:
    """With an even side the highest frequency bin (-1/2) has no mirror bin, so 3 of the 4 orientations map onto
    their point reflections only approximately: the definition itself (piq, Kovesi) moves by ~1e-6."""
    hr = astronaut_y[:384, :520]  # pooled by F = 2 to 192 x 260
    sr = _blur(hr, 1.5)
    assert downsample_factor(*hr.shape) == 2
    x, y = _t(sr), _t(hr)
    straight = fsim(x, y, variant="piq", compute_dtype=torch.float64)
    transposed = fsim(_transpose(x), _transpose(y), variant="piq", compute_dtype=torch.float64)
    assert (transposed - _piq(_transpose(x), _transpose(y))).abs().item() <= PIQ_TOL_F64
    assert (straight - transposed).abs().item() <= 1e-5


def test_piq_downsampling_factor_follows_python_round() -> None:
    assert downsample_factor(383, 1000, "piq") == 1
    assert downsample_factor(384, 500, "piq") == 2  # round(1.5) = 2
    assert downsample_factor(640, 700, "piq") == 2  # round(2.5) = 2 (half to even)
    assert downsample_factor(1000, 900, "piq") == 4


def test_rejects_bad_input() -> None:
    ok = torch.full((1, 1, 64, 64), 100.0, dtype=torch.float64)
    with pytest.raises(ValueError, match="shapes differ"):
        fsim(ok, ok[..., :60])
    with pytest.raises(ValueError, match="smaller than the minimum"):
        fsim(ok[..., :40], ok[..., :40])
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        fsim(ok.expand(1, 3, 64, 64), ok.expand(1, 3, 64, 64))
    with pytest.raises(ValueError, match="values must lie"):
        fsim(ok + 200, ok)


def test_class_and_registry_entry() -> None:
    spec = METRICS.get("fsim")
    assert spec.label == "FSIM (Y)"
    assert spec.fn is fsim
    assert spec.higher_is_better and spec.decimals == 4 and spec.min_size == fsim_module.MIN_SIZE
    for key in ("scales", "orientations", "min_length", "mult", "sigma_f", "delta_theta", "k", "T1", "T2"):
        assert key in spec.settings
    assert spec.settings["median"] == "MATLAB median (mean of the two middle values)"
    assert METRICS.get("fsim-piq").settings["median"] == "lower middle (torch.median, as piq)"
    metric = FSIM(compute_dtype=torch.float64)
    assert metric.settings["compute_dtype"] == "float64"
    x = torch.linspace(0, 255, 64 * 80, dtype=torch.float64).reshape(1, 1, 64, 80)
    y = x.flip(-1)
    assert torch.equal(metric(x, y), fsim(x, y, compute_dtype=torch.float64))


def test_lower_median_matches_torch_median_for_odd_and_even_counts() -> None:
    gen = torch.Generator().manual_seed(4)
    for n in (7, 8, 1001, 1000):
        values = torch.rand(2, 3, n, generator=gen, dtype=torch.float32)
        expected = values.median(dim=-1).values
        assert torch.equal(fsim_module._lower_median(values), expected)
        # the rule used off-CPU: kthvalue with k = (n + 1) // 2
        assert torch.equal(values.kthvalue((n + 1) // 2, dim=-1).values, expected)


def test_median_is_matlabs_mean_of_the_two_middle_values() -> None:
    gen = torch.Generator().manual_seed(5)
    for n in (7, 8, 1001, 1000):
        values = torch.rand(2, 3, n, generator=gen, dtype=torch.float32)
        expected = torch.from_numpy(np.median(values.double().numpy(), axis=-1))
        assert torch.equal(fsim_module._median(values), expected)
        # the rule used off-CPU: the mean of kthvalue k = (n + 1) // 2 and k = n // 2 + 1, in float64
        low = values.kthvalue((n - 1) // 2 + 1, dim=-1).values.double()
        high = values.kthvalue(n // 2 + 1, dim=-1).values.double()
        assert torch.equal((low + high) / 2, expected)


def test_whole_batch_path_and_torch_fft_backend_agree_with_the_cpu_default(
    monkeypatch: pytest.MonkeyPatch, camera: np.ndarray
) -> None:
    """The vectorised path (GPU default) and torch's FFT (no scipy) give the CPU default's PC maps (per pixel;
    float32 FFT rounding moves single pixels by up to ~2e-6)."""
    hr = camera[200:330, 100:281]
    x = torch.from_numpy(np.stack([_blur(hr, 1.3), hr]))
    for dtype, tol in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
        bank = fsim_module._filter_bank(*hr.shape, dtype, "cpu", 4, 4, 6, 2, 0.55, 1.2, 2.0)
        reference = fsim_module.phase_congruency(x.to(dtype), bank)
        whole = fsim_module.phase_congruency(x.to(dtype), bank, blockwise=False)
        assert (whole - reference).abs().max().item() <= tol
        monkeypatch.setattr(fsim_module, "_scipy_fft", lambda: None)
        with_torch_fft = fsim_module.phase_congruency(x.to(dtype), bank)
        monkeypatch.undo()
        assert (with_torch_fft - reference).abs().max().item() <= tol


def test_equals_piq_with_large_flat_regions(camera: np.ndarray) -> None:
    """Flat areas (clipped sky, letterboxing) have near-zero filter energy, where float32 rounding is largest."""
    hr = camera[:200, :300].copy()
    hr[40:160, 60:240] = 16.0
    hr[:30] = 235.0
    sr = _noise(hr, 3.0, seed=9)
    x, y = _t(sr, _blur(hr, 1.0)), _t(hr, hr)
    expected = _piq(x, y)
    assert (fsim(x, y, variant="piq") - expected).abs().max().item() <= PIQ_TOL_F32
    assert (fsim(x, y, variant="piq", compute_dtype=torch.float64) - expected).abs().max().item() <= PIQ_TOL_F64
