"""The VGG-16 loss network of the perceptual losses: torchvision layout, ImageNet weights, frozen.

Johnson et al. 2016 use an ImageNet-trained VGG-16 as a fixed loss network (paper section 3). srbench uses the
torchvision weights (``VGG16_Weights.IMAGENET1K_V1``, ``vgg16-397923af.pth``), which expect RGB on [0, 1]
normalised per channel with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). The official
code (fast-neural-style) used the Caffe VGG-16 on BGR, 0-255, mean-subtracted input instead; feature magnitudes
therefore differ and loss weights tuned there do not transfer one-to-one (conventions section 6.2).

:func:`load_vgg16_features` returns a :class:`VGG16Features`: an ``nn.Sequential`` with exactly the layers and
indices of ``torchvision.models.vgg16().features`` (so its ``state_dict`` keys are ``0.weight, 0.bias, 2.*, ...``
and ``features[:9]`` is relu2_2), that **normalises its input inside** (RGB on [0, 1] in, ImageNet mean/std
applied first). Parameters are frozen (``requires_grad=False``) and the module stays in eval mode.

Weights are looked up, in order (the first source that is set is used; a set source that is broken is an error,
never skipped):

1. the explicit ``weights`` argument (``--vgg-weights``);
2. ``$SRBENCH_VGG16``: a ``state_dict`` file for ``torchvision.models.vgg16().features``;
3. ``<weights root>/vgg16/vgg16_features.pth`` (weights root: ``weights_root`` argument or ``$SRBENCH_WEIGHTS``);
4. torchvision's ``vgg16-397923af.pth`` in the torch hub cache (``torch.hub.get_dir()/checkpoints``), **only if
   already there**: nothing is ever downloaded.

If none is found: a one-line :class:`~srbench.errors.ConfigError` naming the places looked and the fix. There is
no fallback to random weights: a perceptual loss through a random network silently trains a different model.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from srbench.config import weights_root as resolve_weights_root
from srbench.errors import ConfigError

VGG_ENV = "SRBENCH_VGG16"
VGG_FILE = Path("vgg16") / "vgg16_features.pth"
HUB_FILE = "vgg16-397923af.pth"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: tap name -> length of the ``features`` prefix whose output it is (torchvision indices)
VGG_LAYERS: dict[str, int] = {"relu1_2": 4, "relu2_2": 9, "relu3_3": 16, "relu4_3": 23, "relu5_3": 30}


def check_layers(layers: Iterable[str]) -> tuple[str, ...]:
    """Validate tap names; returns them as a tuple (order kept, duplicates refused)."""
    out = tuple(layers)
    if not out:
        raise ConfigError(f"no VGG-16 feature layer given; choose from {', '.join(VGG_LAYERS)}")
    for name in out:
        if name not in VGG_LAYERS:
            raise ConfigError(f"unknown VGG-16 feature layer {name!r}; choose from {', '.join(VGG_LAYERS)}")
    if len(set(out)) != len(out):
        raise ConfigError(f"VGG-16 feature layers {', '.join(out)} repeat a layer; name each layer once")
    return out


class VGG16Features(nn.Sequential):
    """``torchvision.models.vgg16().features`` that takes RGB on [0, 1] and normalises it first.

    Slicing keeps the normalisation: ``feats[:9](x)`` equals torchvision's ``features[:9]((x - mean) / std)``.
    The mean/std buffers are not persistent, so the ``state_dict`` is exactly torchvision's.
    """

    mean: Tensor
    std: Tensor
    #: the weights file this network was loaded from (empty when built without weights)
    source: str = ""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def normalize(self, x: Tensor) -> Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: Tensor) -> Tensor:
        x = self.normalize(x)
        for layer in self:
            x = layer(x)
        return x

    def taps(self, x: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        """Activations at the named layers (``relu2_2`` ...), running only as deep as the deepest one."""
        want = {VGG_LAYERS[name]: name for name in layers}
        depth = max(want)
        out: dict[str, Tensor] = {}
        x = self.normalize(x)
        for i, layer in enumerate(self):
            if i >= depth:
                break
            x = layer(x)
            if i + 1 in want:
                out[want[i + 1]] = x
        return out

    def train(self, mode: bool = True) -> VGG16Features:
        """The loss network is fixed: it stays in eval mode whatever the enclosing module does."""
        return super().train(False)


def vgg16_features_module(device: torch.device | str = "cpu") -> VGG16Features:
    """A :class:`VGG16Features` with torchvision's VGG-16 layer layout and default-initialised weights.

    ``device='meta'`` builds the layers without allocating or initialising weights (fast; load a state_dict
    with ``assign=True`` afterwards, as :func:`load_vgg16_features` does).
    """
    from torchvision.models.vgg import cfgs, make_layers

    with torch.device(device):
        feats = make_layers(cfgs["D"], batch_norm=False)  # what torchvision.models.vgg16() uses as ``features``
    return VGG16Features(OrderedDict(feats.named_children()))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _read_state(path: Path, source: str) -> dict[str, Tensor]:
    if not path.is_file():
        raise ConfigError(f"VGG-16 weights {path} (from {source}) not found; fix the path or unset {source}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors all mean "not a weights file"
        raise ConfigError(
            f"VGG-16 weights {path} (from {source}) cannot be read ({_one_line(exc)}); "
            "pass a state_dict saved with torch.save(torchvision.models.vgg16().features.state_dict(), path)"
        ) from None
    if isinstance(obj, Mapping) and "state_dict" in obj and isinstance(obj["state_dict"], Mapping):
        obj = obj["state_dict"]
    if not isinstance(obj, Mapping) or not all(isinstance(v, Tensor) for v in obj.values()):
        raise ConfigError(
            f"VGG-16 weights {path} (from {source}) is not a state_dict of tensors; "
            "save torchvision.models.vgg16().features.state_dict() instead"
        )
    state = dict(obj)
    if any(k.startswith("features.") for k in state):  # a whole torchvision vgg16 state_dict
        state = {k[len("features.") :]: v for k, v in state.items() if k.startswith("features.")}
    return state


def _hub_checkpoint() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / HUB_FILE


def find_vgg16_weights(
    weights: str | os.PathLike[str] | None = None, weights_root: str | os.PathLike[str] | None = None
) -> tuple[Path, str]:
    """The VGG-16 weights file to use and a description of where it came from (see the module docstring)."""
    if weights is not None:
        return Path(weights).expanduser(), "--vgg-weights"
    env = os.environ.get(VGG_ENV)
    if env:
        return Path(env).expanduser(), f"${VGG_ENV}"
    looked = ["--vgg-weights (not given)", f"${VGG_ENV} (not set)"]
    root = resolve_weights_root(weights_root)
    if root is not None:
        candidate = root / VGG_FILE
        if candidate.is_file():
            return candidate, "the weights root"
        looked.append(f"{candidate} (missing)")
    else:
        looked.append(f"<weights root>/{VGG_FILE.as_posix()} (no weights root: --weights-root / $SRBENCH_WEIGHTS)")
    hub = _hub_checkpoint()
    if hub.is_file():
        return hub, "the torch hub cache"
    looked.append(f"{hub} (not cached)")
    raise ConfigError(
        "no VGG-16 ImageNet weights for the feature loss; looked at "
        + "; ".join(looked)
        + f". Fix: pass --vgg-weights PATH or set ${VGG_ENV} to a torchvision vgg16().features state_dict, "
        f"or put {VGG_FILE.as_posix()} under the weights root (srbench never uses random VGG weights)"
    )


def load_vgg16_features(
    weights: str | os.PathLike[str] | None = None, weights_root: str | os.PathLike[str] | None = None
) -> VGG16Features:
    """The frozen ImageNet VGG-16 feature extractor (all 13 convs, torchvision layout, input RGB on [0, 1]).

    Args:
        weights: explicit state_dict file (``torchvision.models.vgg16().features`` keys, or a whole ``vgg16``
            state_dict whose ``features.*`` keys are used).
        weights_root: weights root folder (default ``$SRBENCH_WEIGHTS``); ``vgg16/vgg16_features.pth`` inside.

    Raises:
        ConfigError: no weights found, or the file found is unreadable or does not fit VGG-16.
    """
    path, source = find_vgg16_weights(weights, weights_root)
    state = _read_state(path, source)
    model = vgg16_features_module("meta")
    state = {k: v.to(torch.float32).contiguous() for k, v in state.items()}
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ConfigError(
            f"VGG-16 weights {path} (from {source}) do not fit torchvision's vgg16().features ({detail}); "
            "pass the conv weights of torchvision.models.vgg16"
        ) from None
    for p in model.parameters():
        p.requires_grad_(False)
    model.source = str(path)
    return model.eval()
