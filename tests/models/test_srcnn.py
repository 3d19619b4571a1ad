"""SRCNN: weight conversion checked against independent paths, and the published numbers reproduced.

* conversion: the staged ``*_torch_oihw.npz`` equal our ``.mat`` conversion exactly; our module equals a forward
  pass chained by hand with ``scipy.ndimage.correlate(mode='nearest')`` (correlation with replicate padding,
  MATLAB ``imfilter(..., 'same', 'replicate')``) on kernels reshaped column-major (``order='F'``);
* numbers (conventions section 5.2): the ECCV 2014 9-1-5 91-images x4 model gives the per-image values of
  Johnson et al.'s Fig. 8 (baby 32.98 / 0.8779, comic 22.53 / 0.6513); the TPAMI 9-5-5 ImageNet x4 model gives
  the literature's dataset means (slow test);
* bad input: missing, corrupt or foreign ``.mat`` files and a wrong scale give one-line errors.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from scipy.ndimage import correlate

from srbench.data.datasets import Dataset, resolve_dataset
from srbench.errors import ConfigError, DataError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import METHODS, Method
from srbench.methods.srcnn import VARIANTS, SRCNNMethod
from srbench.models.registry import build_model
from srbench.models.srcnn import SRCNN, load_srcnn_mat, load_srcnn_npz
from srbench.models.weights import save_weights
from srbench.protocol.imresize import imresize

X4_955 = "srcnn_955_imagenet_x4"
X4_915 = "srcnn_915_91images_x4"


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg
    return msg


def _random_srcnn(f1: int = 3, f2: int = 3, f3: int = 3, n1: int = 4, n2: int = 3, seed: int = 0) -> SRCNN:
    torch.manual_seed(seed)
    model = SRCNN(f1, f2, f3, n1, n2).double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.3)
    return model


def _to_authors_mat(model: SRCNN) -> dict[str, np.ndarray]:
    """Write a model in the authors' layout by MATLAB's own rule: every kernel flattened column-major."""
    k1 = model.conv1.weight.detach().numpy()  # (n1, 1, f1, f1)
    k2 = model.conv2.weight.detach().numpy()  # (n2, n1, f2, f2)
    k3 = model.conv3.weight.detach().numpy()  # (1, n2, f3, f3)
    n1, n2 = k1.shape[0], k2.shape[0]
    w1 = np.stack([k1[i, 0].flatten(order="F") for i in range(n1)], axis=1)
    w2 = np.stack([np.stack([k2[o, c].flatten(order="F") for c in range(n1)]) for o in range(n2)], axis=2)
    w3 = np.stack([k3[0, c].flatten(order="F") for c in range(n2)])
    col = lambda b: b.detach().numpy().reshape(-1, 1)  # noqa: E731
    return {
        "weights_conv1": w1,
        "biases_conv1": col(model.conv1.bias),
        "weights_conv2": w2,
        "biases_conv2": col(model.conv2.bias),
        "weights_conv3": w3,
        "biases_conv3": col(model.conv3.bias),
    }


def _by_hand(mat: dict[str, np.ndarray], img: np.ndarray) -> np.ndarray:
    """The authors' SRCNN.m in numpy: imfilter(x, reshape(v, f, f), 'same', 'replicate') per channel."""
    w1, w2, w3 = mat["weights_conv1"], mat["weights_conv2"], mat["weights_conv3"]
    b1, b2, b3 = (mat[f"biases_conv{i}"].ravel() for i in (1, 2, 3))
    f1, f2, f3 = math.isqrt(w1.shape[0]), math.isqrt(w2.shape[1]), math.isqrt(w3.shape[1])
    n1, n2 = w1.shape[1], w2.shape[2]
    h1 = [np.maximum(correlate(img, w1[:, i].reshape(f1, f1, order="F"), mode="nearest") + b1[i], 0) for i in range(n1)]
    h2 = []
    for o in range(n2):
        acc = sum(correlate(h1[c], w2[c, :, o].reshape(f2, f2, order="F"), mode="nearest") for c in range(n1))
        h2.append(np.maximum(acc + b2[o], 0))
    out = sum(correlate(h2[c], w3[c, :].reshape(f3, f3, order="F"), mode="nearest") for c in range(n2))
    return np.asarray(out + b3[0])


def _subset(ds: Dataset, *ids: str) -> Dataset:
    return dataclasses.replace(ds, images=tuple(img for img in ds.images if img.id in ids))


def _run(ds: Dataset, method: Method) -> dict[str, tuple[float, float]]:
    rows = evaluate(EvalRequest([ds], [method], scales=(4,), metrics=("psnr", "ssim"))).rows
    return {r.image: (r.psnr, r.ssim) for r in rows.itertuples()}


def _means(per_image: dict[str, tuple[float, float]]) -> tuple[float, float]:
    vals = np.array(list(per_image.values()))
    return float(vals[:, 0].mean()), float(vals[:, 1].mean())


# --- architecture -------------------------------------------------------------------------------------------


def test_parameter_counts() -> None:
    def count(f1: int, f2: int, f3: int, n1: int = 64, n2: int = 32) -> int:
        return n1 * f1 * f1 + n1 + n2 * n1 * f2 * f2 + n2 + n2 * f3 * f3 + 1

    assert count(9, 5, 5) == 5248 + 51232 + 801 == 57281
    assert count(9, 3, 5) == 5248 + 18464 + 801 == 24513
    assert count(9, 1, 5) == 5248 + 2080 + 801 == 8129
    for kw, n in (({}, 57281), ({"f2": 3}, 24513), ({"f2": 1}, 8129)):
        model = build_model("srcnn", **kw)
        assert isinstance(model, SRCNN)
        assert sum(p.numel() for p in model.parameters()) == n


def test_same_size_and_even_filters_refused() -> None:
    model = _random_srcnn(9, 5, 5, 8, 4)
    assert model(torch.rand(2, 1, 11, 7, dtype=torch.float64)).shape == (2, 1, 11, 7)
    with pytest.raises(ValueError, match="odd"):
        SRCNN(f2=4)


def test_mat_loader_reads_matlab_column_major(tmp_path: Path) -> None:
    """A .mat written from torch kernels by MATLAB's column-major rule loads back to the same kernels."""
    for f2 in (3, 1):
        model = _random_srcnn(5, f2, 3, 4, 3, seed=f2)
        p = tmp_path / f"m{f2}.mat"
        scipy.io.savemat(p, _to_authors_mat(model))
        loaded = load_srcnn_mat(p)
        assert loaded.arch_kwargs == {"f1": 5, "f2": f2, "f3": 3, "n1": 4, "n2": 3}
        for k, v in model.state_dict().items():
            assert torch.equal(loaded.state_dict()[k], v), k
        img = np.random.default_rng(f2).random((13, 10))
        ours = loaded(torch.from_numpy(img)[None, None])[0, 0].detach().numpy()
        np.testing.assert_allclose(ours, _by_hand(scipy.io.loadmat(p), img), rtol=0, atol=1e-12)


# --- the authors' weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stem", [X4_955, X4_915])
def test_npz_equals_mat_conversion(shared_weights: Path, stem: str) -> None:
    from_mat = load_srcnn_mat(shared_weights / "srcnn" / f"{stem}.mat").state_dict()
    with np.load(shared_weights / "srcnn" / f"{stem}_torch_oihw.npz") as z:
        staged = {k: z[k] for k in z.files}
    assert set(staged) == set(from_mat)
    for k, v in staged.items():
        assert v.dtype == np.float64
        np.testing.assert_array_equal(from_mat[k].numpy(), v, err_msg=k)
    from_npz = load_srcnn_npz(shared_weights / "srcnn" / f"{stem}_torch_oihw.npz").state_dict()
    assert all(torch.equal(from_npz[k], from_mat[k]) for k in from_mat)


@pytest.mark.parametrize("stem", [X4_955, X4_915])
def test_forward_equals_imfilter_replicate_by_hand(shared_weights: Path, stem: str) -> None:
    path = shared_weights / "srcnn" / f"{stem}.mat"
    img = np.random.default_rng(4).random((23, 17))
    model = load_srcnn_mat(path)
    with torch.no_grad():
        ours = model(torch.from_numpy(img)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(ours, _by_hand(scipy.io.loadmat(path), img), rtol=0, atol=1e-10)


def test_named_methods_resolve_from_weights_root_and_srcnn_is_one_method_with_the_955_imagenet_x4(
    shared_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(shared_weights))
    lines = (shared_weights / "srcnn" / "sha256sums.txt").read_text().splitlines()
    sums = {file: digest for digest, file in (line.split() for line in lines)}
    assert set(VARIANTS) == {
        *(f"srcnn-955-imagenet-x{s}" for s in (2, 3, 4)),
        *(f"srcnn-915-91images-x{s}" for s in (2, 3, 4)),
    }
    for name, (file, scale, _variant) in VARIANTS.items():
        method = METHODS.get(name)()
        assert isinstance(method, SRCNNMethod) and method.space == "y" and method.name == name
        assert method.scale == scale and method.model.f2 == (1 if "915" in name else 5)
        prov = method.provenance()
        assert prov["weights_sha256"] == sums[file] and prov["dtype"] == "float64"
    default, x4 = METHODS.get("srcnn")(), METHODS.get("srcnn-955-imagenet-x4")()
    # an alias: one computation, one name and one key, so its results are stored and shown together
    assert default.name == x4.name == "srcnn-955-imagenet-x4" and default.key() == x4.key()
    assert METHODS.canonical("SRCNN") == "srcnn-955-imagenet-x4" and "srcnn" in METHODS


@pytest.mark.shared
def test_915_91images_x4_per_image_values(
    shared_datasets: Path, shared_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Johnson et al. Fig. 8 SRCNN examples (paper baby 32.99 / 0.8784, comic 22.53 / 0.6524)."""
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(shared_weights))
    method = METHODS.get("srcnn-915-91images-x4")()
    baby = _run(_subset(resolve_dataset("set5", shared_datasets), "baby"), method)["baby"]
    comic = _run(_subset(resolve_dataset("set14", shared_datasets), "comic"), method)["comic"]
    assert (round(baby[0], 2), round(baby[1], 4)) == (32.98, 0.8779)
    assert (round(comic[0], 2), round(comic[1], 4)) == (22.53, 0.6513)


@pytest.mark.shared
@pytest.mark.slow
def test_float32_matches_float64_on_set5(shared_datasets: Path, shared_weights: Path) -> None:
    """float64 is the default (MATLAB double); float32 moves Set5 x4 PSNRs by < 1e-3 dB (measured ~3e-5)."""
    path = shared_weights / "srcnn" / f"{X4_955}.mat"
    set5 = resolve_dataset("set5", shared_datasets)
    d64 = _run(set5, SRCNNMethod.from_mat(path, 4, dtype=torch.float64))
    d32 = _run(set5, SRCNNMethod.from_mat(path, 4, dtype=torch.float32))
    for image in d64:
        assert abs(d64[image][0] - d32[image][0]) < 1e-3, image
        assert abs(d64[image][1] - d32[image][1]) < 1e-5, image
    (p64, s64), (p32, s32) = _means(d64), _means(d32)
    assert abs(p64 - p32) < 1e-3 and abs(s64 - s32) < 1e-5
    assert round(p64, 2) == 30.48 and abs(s64 - 0.8628) < 2e-4


@pytest.mark.shared
@pytest.mark.slow
def test_955_imagenet_x4_dataset_means(shared_datasets: Path, shared_weights: Path) -> None:
    """The literature's SRCNN x4 means (VDSR / ESRGAN tables): 30.48 / 0.8628, 27.50 / 0.7513, 26.90 / 0.7101.

    SSIM is compared with the conventions' measured 0.8628 / 0.7513 / 0.7103. Runs in float32 (about 10x
    faster than float64 on a CPU; the difference is pinned by ``test_float32_matches_float64_on_set5``).
    """
    method = SRCNNMethod.from_mat(shared_weights / "srcnn" / f"{X4_955}.mat", 4, dtype=torch.float32)
    expected = {"set5": (30.48, 0.8628), "set14": (27.50, 0.7513), "bsd100": (26.90, 0.7103)}
    for name, (psnr, ssim) in expected.items():
        per_image = _run(resolve_dataset(name, shared_datasets), method)
        mean_psnr, mean_ssim = _means(per_image)
        assert round(mean_psnr, 2) == psnr, (name, mean_psnr)
        assert abs(mean_ssim - ssim) < 2e-4, (name, mean_ssim)
        if name == "set5":
            assert round(per_image["baby"][0], 2) == 33.13
        if name == "set14":
            assert round(per_image["comic"][0], 2) == 22.70


# --- the method -------------------------------------------------------------------------------------------


def test_upscale_is_bicubic_then_network() -> None:
    model = _random_srcnn()
    lr = torch.rand(2, 1, 7, 9, dtype=torch.float64)
    method = SRCNNMethod(model, 3, name="t")
    sr = method.upscale(lr, 3, ["a", "b"])
    assert sr.shape == (2, 1, 21, 27) and sr.dtype == torch.float64
    with torch.no_grad():  # per-image convolution vs one batched call: equal up to float summation order
        torch.testing.assert_close(sr, model(imresize(lr, 3)), rtol=0, atol=1e-12)
    sr32 = SRCNNMethod(_random_srcnn(), 3, name="t", dtype=torch.float32).upscale(lr, 3, ["a", "b"])
    assert sr32.dtype == torch.float64 and (sr32 - sr).abs().max() < 1e-5
    assert SRCNNMethod(_random_srcnn(), 3, dtype=torch.float32).key() != method.key()


def test_from_weights_safetensors_keeps_float64(tmp_path: Path) -> None:
    model = _random_srcnn(5, 1, 3)
    p = tmp_path / "srcnn.safetensors"
    save_weights(p, model, {"architecture": "srcnn", "arch_kwargs": model.arch_kwargs, "scale": 2, "space": "y"})
    method = SRCNNMethod.from_weights(p)
    assert method.scale == 2 and method.name == "srcnn-x2" and method.space == "y"  # from its metadata, not the stem
    assert all(torch.equal(method.model.state_dict()[k], v) for k, v in model.state_dict().items())
    assert method.provenance()["weights_sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
    lr = torch.rand(1, 1, 6, 5, dtype=torch.float64)
    with torch.no_grad():
        assert torch.equal(method.upscale(lr, 2, ["x"]), model(imresize(lr, 2)))
    rgb = tmp_path / "rgb.safetensors"
    save_weights(rgb, model, {"architecture": "srcnn", "arch_kwargs": model.arch_kwargs, "scale": 2, "space": "rgb"})
    with pytest.raises(DataError, match="space 'y'") as exc:
        SRCNNMethod.from_weights(rgb)
    _one_line(exc)


# --- bad input ----------------------------------------------------------------------------------------------


def test_missing_and_corrupt_mat(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such SRCNN weights file") as exc:
        load_srcnn_mat(tmp_path / "nope.mat")
    _one_line(exc)
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"this is not a MAT file\x00\xff" * 40)
    with pytest.raises(DataError, match=r"weights_conv1\.\.3") as exc:
        load_srcnn_mat(garbage)
    assert str(garbage) in _one_line(exc)
    empty = tmp_path / "empty.mat"
    empty.write_bytes(b"")
    with pytest.raises(DataError):
        load_srcnn_mat(empty)
    with pytest.raises(DataError, match=r"not a readable \.npz") as exc:
        load_srcnn_npz(garbage)
    _one_line(exc)


def test_mat_without_srcnn_keys(tmp_path: Path) -> None:
    other = tmp_path / "other.mat"
    scipy.io.savemat(other, {"weights": np.zeros((81, 64))})
    with pytest.raises(DataError, match=r"expected the SRCNN authors' \.mat with weights_conv1\.\.3") as exc:
        load_srcnn_mat(other)
    _one_line(exc)
    bad = _to_authors_mat(_random_srcnn())
    bad["weights_conv2"] = np.zeros((4, 8, 3))  # 8 taps: not a square kernel
    scipy.io.savemat(tmp_path / "bad.mat", bad)
    with pytest.raises(DataError, match="not an odd square") as exc:
        load_srcnn_mat(tmp_path / "bad.mat")
    _one_line(exc)


def test_truncated_authors_mat(shared_weights: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mat"
    cut.write_bytes((shared_weights / "srcnn" / f"{X4_955}.mat").read_bytes()[:3000])
    with pytest.raises(DataError) as exc:
        load_srcnn_mat(cut)
    _one_line(exc)


def test_x4_weights_refuse_scale_2(tmp_path: Path) -> None:
    method = SRCNNMethod(_random_srcnn(), 4, name="srcnn")
    with pytest.raises(ConfigError, match="x4 SRCNN model and cannot run at x2") as exc:
        method.check_scale(2)
    _one_line(exc)
    with pytest.raises(ConfigError, match="cannot run at x2"):
        method.upscale(torch.rand(1, 1, 4, 4, dtype=torch.float64), 2, ["x"])
    with pytest.raises(ConfigError, match="cannot run at x2"):
        evaluate(EvalRequest([resolve_dataset("demo", None)], [method], scales=(2,), metrics=("psnr",)))


def test_named_method_without_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRBENCH_WEIGHTS", raising=False)
    with pytest.raises(ConfigError, match="set SRBENCH_WEIGHTS or pass --weights-root") as exc:
        METHODS.get("srcnn")()
    assert "srcnn_955_imagenet_x4.mat" in _one_line(exc)
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(tmp_path))
    with pytest.raises(ConfigError, match="method srcnn-915-91images-x3 needs the SRCNN weights") as exc:
        METHODS.get("srcnn-915-91images-x3")()
    assert str(tmp_path / "srcnn" / "srcnn_915_91images_x3.mat") in _one_line(exc)


def test_tiled_network_equals_untiled_on_a_large_image() -> None:
    """SRCNN runs in overlapping tiles (bounded memory); the overlap covers its receptive field, so nothing changes."""
    from srbench.methods.srcnn import TILE, SRCNNMethod
    from srbench.models.srcnn import SRCNN
    from srbench.protocol.imresize import imresize

    torch.manual_seed(0)
    model = SRCNN(n1=8, n2=4).to(torch.float64).eval()
    lr = torch.rand(1, 1, 150, 90, dtype=torch.float64)  # 600 x 360 HR: several tiles of TILE
    assert TILE < 600
    method = SRCNNMethod(model, 4, "tiny")
    with torch.no_grad():
        untiled = model(imresize(lr, 4))
    torch.testing.assert_close(method.upscale(lr, 4, ["a"]), untiled, rtol=0, atol=1e-12)
