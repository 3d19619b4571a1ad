"""Weights of the deep metrics (LPIPS, DISTS): the local VGG-16 and the calibration files of their PyPI packages.

Both metrics are defined by three things: torchvision's ImageNet VGG-16 conv weights (``IMAGENET1K_V1``), the
metric's learned per-channel weights, and the formula. srbench never downloads any of them:

* VGG-16: through :func:`srbench.losses.vgg.load_vgg16_features` (``$SRBENCH_VGG16``, else
  ``<weights root>/vgg16/vgg16_features.pth``, else torchvision's file already in the torch hub cache), then
  checked against :data:`VGG16_TENSOR_SHA256`, a digest of the tensor values that does not depend on the file
  format (see ``../shared/weights/vgg16/PROVENANCE.md``);
* LPIPS linear layers: ``lpips/weights/v0.1/vgg.pth`` inside the installed ``lpips`` wheel;
* DISTS alpha/beta: ``DISTS_pytorch/weights.pt`` inside the installed ``dists-pytorch`` wheel.

The packages are located with :func:`importlib.util.find_spec`, which finds their folder without running their
code (importing ``lpips`` pulls in its trainer, and ``DISTS_pytorch`` torchvision). Every file is checked against
its pinned sha256, so the digests recorded in a metric's ``settings`` are the ones actually used. A missing
package or a changed file is a one-line :class:`~srbench.errors.ConfigError` naming the fix.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor, nn

from srbench.errors import ConfigError
from srbench.losses.vgg import VGG16Features, load_vgg16_features

VGG16_TENSOR_SHA256 = "40acdda7c6b05249f81637b2571671ce938507c5f986db17af374cf62a2f42a6"
"""sha256 of the 26 conv tensors of torchvision's ``vgg16-397923af.pth`` ``features`` (keys in state_dict order,
raw little-endian float32 bytes, (O, I, kH, kW) layout); equal for every file format holding those values."""


CHUNK_PIXELS = 1 << 20
"""Pixels per network call (about 1 MP): bounds VGG activation memory on any batch."""


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tensors_sha256(module: nn.Module) -> str:
    """Hex sha256 of a module's ``state_dict`` values: raw little-endian float32 bytes, in key order."""
    h = hashlib.sha256()
    for value in module.state_dict().values():
        h.update(value.detach().to("cpu").float().contiguous().numpy().astype("<f4", copy=False).tobytes())
    return h.hexdigest()


def package_file(package: str, relative: str, pip_name: str, sha256: str) -> Path:
    """The file ``relative`` inside the installed ``package``, checked against ``sha256``.

    Raises:
        ConfigError: the package is not installed, the file is missing, or its bytes differ from the pinned ones.
    """
    spec = importlib.util.find_spec(package)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    if not folders:
        raise ConfigError(f"Python package {package!r} is not installed; run: pip install {pip_name}")
    path = Path(folders[0]) / relative
    if not path.is_file():
        raise ConfigError(
            f"{path} is missing from the installed {pip_name}; run: pip install --force-reinstall {pip_name}"
        )
    got = sha256_file(path)
    if got != sha256:
        raise ConfigError(
            f"{path} has sha256 {got}, not the pinned {sha256}; run: pip install --force-reinstall {pip_name}"
        )
    return path


def load_checked_vgg16() -> VGG16Features:
    """The frozen ImageNet VGG-16 features on the CPU (float32), verified to hold torchvision's exact values.

    Raises:
        ConfigError: no weights found (see :func:`~srbench.losses.vgg.load_vgg16_features`), or the weights found
            are not torchvision's ``IMAGENET1K_V1`` VGG-16 (these metrics are calibrated on exactly those).
    """
    net = load_vgg16_features()
    got = tensors_sha256(net)
    if got != VGG16_TENSOR_SHA256:
        raise ConfigError(
            f"VGG-16 weights {net.source} are not torchvision's IMAGENET1K_V1 conv weights (tensor sha256 {got}); "
            "LPIPS and DISTS are calibrated on exactly those: point $SRBENCH_VGG16 or the weights root at them"
        )
    return net


def as_tensor(obj: object, path: Path, key: str) -> Tensor:
    """``obj[key]`` as a tensor, or a one-line ConfigError naming the file."""
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, Tensor):
        raise ConfigError(f"{path} has no tensor {key!r}; reinstall the package that ships it")
    return value


def prepare_rgb(sr: Tensor, hr: Tensor, name: str, min_size: int) -> tuple[Tensor, Tensor]:
    """Check shapes, replicate greyscale to RGB, convert to float32 (the dtype the deep metrics compute in)."""
    if sr.shape != hr.shape:
        raise ValueError(f"{name}: shapes differ {tuple(sr.shape)} vs {tuple(hr.shape)}")
    if sr.dim() != 4 or sr.shape[1] not in (1, 3):
        raise ValueError(f"{name}: expected (N, 3, H, W) RGB or (N, 1, H, W) grey, got shape {tuple(sr.shape)}")
    if min(sr.shape[-2:]) < min_size:
        raise ValueError(f"{name}: images are {sr.shape[-1]}x{sr.shape[-2]}; at least {min_size}x{min_size} needed")
    sr, hr = sr.to(torch.float32), hr.to(torch.float32)
    if sr.shape[1] == 1:
        sr, hr = sr.expand(-1, 3, -1, -1), hr.expand(-1, 3, -1, -1)
    return sr, hr


def chunks(n: int, height: int, width: int, pixels: int = CHUNK_PIXELS) -> list[slice]:
    """Slices cutting a batch of ``n`` images into chunks of about ``pixels`` pixels (at least one image each)."""
    step = max(1, pixels // (height * width))
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


def score_in_chunks(
    net_for: Callable[[str], nn.Module], sr: Tensor, hr: Tensor, name: str, min_size: int, peak: float = 255.0
) -> Tensor:
    """Check and convert ``sr``/``hr`` (:func:`prepare_rgb`), scale them to [0, 1] and score them with the network
    ``net_for(device)`` in chunks of about :data:`CHUNK_PIXELS` pixels; float64 ``(N,)`` on the input device."""
    x, y = prepare_rgb(sr, hr, name, min_size)
    net = net_for(str(x.device))
    with torch.no_grad():
        out = [net(x[s] / peak, y[s] / peak) for s in chunks(x.shape[0], x.shape[-2], x.shape[-1])]
    return torch.cat(out).to(torch.float64)
