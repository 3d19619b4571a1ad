"""Losses of Johnson et al. 2016 against hand computations, and the VGG-16 loss network against torchvision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision

from srbench.errors import ConfigError
from srbench.losses import (
    VGG_LAYERS,
    CombinedLoss,
    FeatureLoss,
    VGG16Features,
    fns_tv_weight,
    load_vgg16_features,
    pixel_loss,
    tv_loss,
)

MEAN = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)


@pytest.fixture(scope="module")
def tv_features() -> torch.nn.Sequential:
    """A random-init torchvision ``vgg16().features`` (no download, no network)."""
    torch.manual_seed(1234)
    return torchvision.models.vgg16(weights=None).features.eval()


@pytest.fixture(scope="module")
def vgg_file(tv_features: torch.nn.Sequential, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("vgg") / "vgg16_features.pth"
    torch.save(tv_features.state_dict(), path)
    return path


@pytest.fixture
def no_vgg_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $SRBENCH_VGG16, an empty weights root and an empty torch hub cache."""
    monkeypatch.delenv("SRBENCH_VGG16", raising=False)
    root = tmp_path / "weights"
    root.mkdir()
    monkeypatch.setenv("SRBENCH_WEIGHTS", str(root))
    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))
    return root


def _rand(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).random(shape))


# --- pixel and TV --------------------------------------------------------------------------------------------


def test_pixel_loss_by_hand() -> None:
    a, b = _rand(2, 3, 4, 5, seed=1), _rand(2, 3, 4, 5, seed=2)
    an, bn = a.numpy(), b.numpy()
    per_image = [((an[i] - bn[i]) ** 2).sum() / (3 * 4 * 5) for i in range(2)]
    assert pixel_loss(a, b).item() == pytest.approx(np.mean(per_image), rel=1e-12)
    assert pixel_loss(a.float(), b.float()).dtype == torch.float32


def test_tv_loss_by_hand() -> None:
    x = _rand(2, 3, 5, 6, seed=3)
    xn = x.numpy()
    totals = []
    for n in range(2):
        s = 0.0
        for c in range(3):
            for i in range(5 - 1):
                for j in range(6 - 1):
                    s += (xn[n, c, i, j] - xn[n, c, i, j + 1]) ** 2 + (xn[n, c, i, j] - xn[n, c, i + 1, j]) ** 2
        totals.append(s)
    assert tv_loss(x).item() == pytest.approx(np.mean(totals), rel=1e-12)
    assert tv_loss(torch.full((1, 3, 4, 4), 0.3)).item() == 0.0


def _fns_tv_grad(x255: np.ndarray, strength: float) -> np.ndarray:
    """fast-neural-style ``TotalVariation:updateGradInput`` (with a zero gradOutput), in numpy."""
    g = np.zeros_like(x255)
    xd = x255[:, :, :-1, :-1] - x255[:, :, :-1, 1:]
    yd = x255[:, :, :-1, :-1] - x255[:, :, 1:, :-1]
    g[:, :, :-1, :-1] += xd + yd
    g[:, :, :-1, 1:] -= xd
    g[:, :, 1:, :-1] -= yd
    return g * strength


def test_tv_weight_reproduces_fns_gradient() -> None:
    n, s = 4, 1e-6
    x = _rand(n, 3, 6, 7, seed=4).requires_grad_(True)
    (fns_tv_weight(s, n, relative_to_pixel_loss=False) * tv_loss(x)).backward()
    assert x.grad is not None
    expected = _fns_tv_grad(x.detach().numpy() * 255.0, s) * 255.0  # chain rule: x255 = 255 x
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-10, atol=1e-18)
    assert fns_tv_weight(1e-6, 4) == pytest.approx(2e-6)


# --- the VGG-16 loss network ---------------------------------------------------------------------------------


def test_vgg_features_equal_torchvision(tv_features: torch.nn.Sequential, vgg_file: Path) -> None:
    feats = load_vgg16_features(vgg_file)
    assert isinstance(feats, VGG16Features) and isinstance(feats, torch.nn.Sequential)
    assert list(feats.state_dict()) == list(tv_features.state_dict())
    assert not any(p.requires_grad for p in feats.parameters())
    assert not feats.train().training  # stays in eval mode
    x = _rand(2, 3, 20, 20, seed=5).float()
    normalised = (x - torch.tensor(MEAN, dtype=torch.float32)) / torch.tensor(STD, dtype=torch.float32)
    with torch.no_grad():
        expected = tv_features[:9](normalised)
        assert torch.equal(feats[:9](x), expected)
        taps = feats.taps(x, ["relu1_2", "relu2_2"])
        assert torch.equal(taps["relu2_2"], expected)
        assert torch.equal(taps["relu1_2"], tv_features[:4](normalised))
    assert VGG_LAYERS == {"relu1_2": 4, "relu2_2": 9, "relu3_3": 16, "relu4_3": 23, "relu5_3": 30}


def test_feature_loss_by_hand(tv_features: torch.nn.Sequential, vgg_file: Path) -> None:
    y_hat, y = _rand(2, 3, 16, 16, seed=6).float(), _rand(2, 3, 16, 16, seed=7).float()
    loss = FeatureLoss(["relu1_2", "relu2_2"], vgg_weights=vgg_file)
    got = loss.components(y_hat, y)

    def normalise(t: torch.Tensor) -> torch.Tensor:
        return ((t.double() - torch.from_numpy(MEAN)) / torch.from_numpy(STD)).float()

    with torch.no_grad():
        for name, depth in (("relu1_2", 4), ("relu2_2", 9)):
            fa = tv_features[:depth](normalise(y_hat)).double().numpy()
            fb = tv_features[:depth](normalise(y)).double().numpy()
            c, h, w = fa.shape[1:]
            by_hand = np.mean([((fa[i] - fb[i]) ** 2).sum() / (c * h * w) for i in range(2)])
            assert got[name].item() == pytest.approx(by_hand, rel=1e-4)
    assert loss(y_hat, y).item() == pytest.approx(sum(v.item() for v in got.values()), rel=1e-6)


def test_full_vgg16_state_dict_and_env(
    tv_features: torch.nn.Sequential, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_vgg_sources: Path
) -> None:
    # a whole torchvision vgg16 state_dict (features.* keys, plus classifier keys that are ignored) via the env
    state = {f"features.{k}": v for k, v in tv_features.state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(3)
    path = tmp_path / "vgg16-full.pth"
    torch.save(state, path)
    monkeypatch.setenv("SRBENCH_VGG16", str(path))
    feats = load_vgg16_features()
    assert feats.source == str(path)
    ours, ref = feats.state_dict(), tv_features.state_dict()
    assert list(ours) == list(ref) and all(torch.equal(ours[k], ref[k]) for k in ref)


def test_vgg_sources_in_order(
    tv_features: torch.nn.Sequential, vgg_file: Path, tmp_path: Path, no_vgg_sources: Path
) -> None:
    # torch hub cache: used only when already there
    hub_ckpt = tmp_path / "hub" / "checkpoints" / "vgg16-397923af.pth"
    hub_ckpt.parent.mkdir(parents=True)
    torch.save({f"features.{k}": v for k, v in tv_features.state_dict().items()}, hub_ckpt)
    assert load_vgg16_features().source == str(hub_ckpt)
    # the weights root wins over the hub cache
    (no_vgg_sources / "vgg16").mkdir()
    staged = no_vgg_sources / "vgg16" / "vgg16_features.pth"
    staged.write_bytes(vgg_file.read_bytes())
    assert load_vgg16_features().source == str(staged)
    # an explicit path wins over everything
    assert load_vgg16_features(vgg_file).source == str(vgg_file)


def test_missing_vgg_weights_is_one_line_config_error(no_vgg_sources: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_vgg16_features()
    msg = str(info.value)
    assert "\n" not in msg
    for part in ("--vgg-weights", "$SRBENCH_VGG16", "vgg16_features.pth", "vgg16-397923af.pth", "random"):
        assert part in msg
    # a loss that needs no VGG does not look for it
    CombinedLoss(pixel_weight=1.0, tv_weight=1e-3)
    with pytest.raises(ConfigError):
        CombinedLoss(feature_weight=1.0)


def test_bad_vgg_files(tmp_path: Path, no_vgg_sources: Path) -> None:
    missing = tmp_path / "nope.pth"
    with pytest.raises(ConfigError, match=r"nope\.pth"):
        load_vgg16_features(missing)
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a torch file")
    with pytest.raises(ConfigError, match=r"corrupt\.pth") as info:
        load_vgg16_features(corrupt)
    assert "\n" not in str(info.value)
    wrong = tmp_path / "wrong.pth"
    torch.save({"0.weight": torch.zeros(1)}, wrong)
    with pytest.raises(ConfigError, match=r"wrong\.pth") as info:
        load_vgg16_features(wrong)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="relu9_9"):
        FeatureLoss(["relu9_9"], vgg_weights=missing)


# --- Eq. 1 ---------------------------------------------------------------------------------------------------


def test_combined_loss(vgg_file: Path) -> None:
    y_hat = _rand(2, 3, 16, 16, seed=8).float().requires_grad_(True)
    y = _rand(2, 3, 16, 16, seed=9).float()
    loss = CombinedLoss(pixel_weight=0.5, feature_weight=2.0, tv_weight=1e-3, layers=["relu2_2"], vgg_weights=vgg_file)
    total, parts = loss(y_hat, y)
    assert set(parts) == {"pixel", "feature", "tv"} and loss.names == ("pixel", "feature", "tv")
    assert loss.feature is not None
    expected = 0.5 * pixel_loss(y_hat, y) + 2.0 * FeatureLoss(["relu2_2"], loss.feature.network)(y_hat, y)
    expected = expected + 1e-3 * tv_loss(y_hat)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert all(not v.requires_grad for v in parts.values())
    total.backward()
    assert y_hat.grad is not None and torch.isfinite(y_hat.grad).all()
    assert all(p.grad is None for p in loss.parameters())
    pixel_only = CombinedLoss(pixel_weight=1.0)
    assert pixel_only.names == ("pixel",) and pixel_only.feature is None
    with pytest.raises(ConfigError):
        CombinedLoss(pixel_weight=0.0, feature_weight=0.0, tv_weight=1.0)


# --- the staged ImageNet weights -----------------------------------------------------------------------------


@pytest.mark.shared
def test_shared_vgg16_weights(shared_weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SRBENCH_VGG16", raising=False)
    feats = load_vgg16_features(weights_root=shared_weights)
    path = shared_weights / "vgg16" / "vgg16_features.pth"
    assert feats.source == str(path)
    conv = feats[0]
    assert isinstance(conv, torch.nn.Conv2d)
    first = conv.weight[0, 0, 0].tolist()
    assert first == pytest.approx([-0.5537, 0.1427, 0.5290], abs=1e-4)  # PROVENANCE.md
    ref = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["D"])
    ref.load_state_dict(torch.load(path, weights_only=True))
    x = _rand(1, 3, 24, 24, seed=10).float()
    normalised = (x - torch.tensor(MEAN, dtype=torch.float32)) / torch.tensor(STD, dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(feats.taps(x, ["relu2_2"])["relu2_2"], ref[:9].eval()(normalised))
