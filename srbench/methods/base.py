"""The method interface: anything that turns a batch of LR images into SR images.

A :class:`Method` declares the colour space it works in:

* ``space = 'y'``: it receives and returns the luminance channel only, ``(N, 1, h, w)`` (bicubic, nearest,
  SRCNN). This is the literature's protocol for the classic baselines.
* ``space = 'rgb'``: it receives RGB ``(N, 3, h, w)`` (or ``(N, 1, h, w)`` for grayscale ground truth, which it
  may return as 1 or 3 channels) and its output is converted to Y for scoring (trained networks, SR folders).

``upscale(lr, scale, ids)`` gets LR values on [0, 1] as float64 on the evaluation device and returns
``(N, C, s h, s w)`` on [0, 1] (values outside are clipped later, per the protocol). ``ids`` are the image ids,
so methods that look results up (``--sr-dir``) can find them. ``provenance()`` returns everything that
identifies the method's outputs (weights hash, recipe, folder checksum); it is part of the result cache key.

Registering a method is one module that calls ``METHODS.add(name, factory)``; a factory takes no arguments.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from torch import Tensor

from srbench.errors import ConfigError
from srbench.registry import Registry

Space = Literal["y", "rgb"]


class Method(ABC):
    """Base class of every SR method."""

    name: str = "method"
    space: Space = "rgb"
    #: one line for `srbench methods`
    description: str = ""
    #: images of one shape may be passed together
    batchable: bool = True
    #: ``upscale`` reads its LR input (False for SR folders: the evaluation then skips making the LR)
    consumes_lr: bool = True

    @abstractmethod
    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        """Return SR images ``(N, C, s h, s w)`` on [0, 1] for LR ``(N, C, h, w)`` on [0, 1]."""

    def provenance(self) -> dict[str, Any]:
        """What identifies this method's outputs (stored with results and part of the cache key)."""
        return {"name": self.name}

    def rename(self, name: str) -> None:
        """Give the method another name (part of its provenance, hence of its key)."""
        self.name = name
        prov = getattr(self, "_provenance", None)
        if isinstance(prov, dict) and "name" in prov:
            prov["name"] = name

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.provenance(), sort_keys=True).encode()).hexdigest()[:16]

    def check_scale(self, scale: int) -> None:  # noqa: B027  (optional hook, no-op by default)
        """Raise ``ConfigError`` if the method cannot run at ``scale`` (trained models are scale-specific)."""


METHODS: Registry[Callable[[], Method]] = Registry("method")


def weights_name(metadata: dict[str, Any], path: str | Path) -> str:
    """The method name a weights file gives itself: its run name, else ``<architecture>-x<scale>-<loss>``.

    ``run_name`` / ``name`` in the file's metadata win; otherwise the name is built from what the file computes,
    e.g. ``johnson-x4-feature``. A file whose sha256 is a shipped baseline's gets that baseline's registered name
    (``srcnn-x8``), so the same weights are one method however they are named on the command line; any other
    file whose name would be a registered method's gets the first 8 hex digits of its sha256 appended
    (``johnson-x4-feature-1a2b3c4d``), so it never takes a shipped model's name. Only a file without the
    metadata falls back to its stem.
    """
    from srbench.methods.baselines import shipped_name

    shipped = shipped_name(path)
    if shipped is not None:
        return shipped
    name = ""
    for field in ("run_name", "name"):
        if isinstance(metadata.get(field), str) and metadata[field].strip():
            name = str(metadata[field]).strip()
            break
    arch, scale = metadata.get("architecture"), metadata.get("scale")
    if not name and arch:
        loss = metadata.get("loss")
        loss_type = loss.get("type") if isinstance(loss, dict) else loss
        name = "-".join([str(arch), *([f"x{scale}"] if scale else []), *([str(loss_type)] if loss_type else [])])
    name = name or Path(path).stem
    if name in METHODS:
        from srbench.models.weights import file_sha256

        name = f"{name}-{file_sha256(path)[:8]}"
    return name


def weights_method(path: str | Path, name: str | None = None) -> Method:
    """The method of an srbench weights file: SRCNN (which upsamples bicubically first) or another network.

    ``name`` defaults to :func:`weights_name` of the file's metadata. The method's key includes the weights'
    sha256, so two different files never share stored results.
    """
    from srbench.methods.model import ModelMethod
    from srbench.models.weights import read_metadata

    meta = read_metadata(path)
    name = name or weights_name(meta, path)
    if meta.get("architecture") == "srcnn":
        from srbench.methods.srcnn import SRCNNMethod

        return SRCNNMethod.from_weights(path, name=name)
    return ModelMethod.from_weights(path, name=name)


def distinct_methods(methods: Sequence[Method]) -> list[Method]:
    """``methods`` without repeats (equal keys), every one under its own name.

    Two different computations that would be stored under one name (two weights files whose metadata give the
    same name) are renamed ``<name>-<first 8 hex digits of the weights sha256>`` (else of the method key), so
    they never share a row or a mean.
    """
    unique = list({m.key(): m for m in methods}.values())
    by_name: dict[str, list[Method]] = {}
    for m in unique:
        by_name.setdefault(m.name, []).append(m)
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        for m in group:
            prov = m.provenance()
            tag = str(prov.get("weights_sha256") or m.key())[:8]
            m.rename(f"{name}-{tag}")
    return unique


def canonical_method_name(name: str) -> str:
    """The one name a method's results are stored and shown under: registered names in lower case, aliases
    resolved (``srcnn`` -> ``srcnn-955-imagenet-x4``, also before a post-process suffix: ``srcnn+histmatch``);
    any other name unchanged."""
    from srbench.methods.postprocessed import split_postprocess

    base, post = split_postprocess(name)
    return METHODS.canonical(base) + (f"+{post}" if post else "")


def resolve_method(spec: str) -> Method:
    """A registered method name or alias, a weights file, ``NAME=PATH`` (a weights file under an explicit name),
    or ``sr-dir:PATH`` for a folder of SR outputs; any of them followed by ``+histmatch`` (the output histogram-
    matched to the LR input, :mod:`srbench.methods.postprocessed`)."""
    from srbench.methods.postprocessed import PostProcessed, split_postprocess
    from srbench.methods.srdir import SrDirMethod

    base, post = split_postprocess(spec)
    if post is not None:
        inner = resolve_method(base)
        if not inner.consumes_lr:
            raise ConfigError(f"-m {spec}: {base} does not compute from the LR input; use --histmatch rgb instead")
        return PostProcessed(inner, post)
    if spec.startswith("sr-dir:"):
        return SrDirMethod(Path(spec[len("sr-dir:") :]))
    name, sep, path = spec.partition("=")
    if sep:
        if not name or not path.endswith(".safetensors"):
            raise ConfigError(
                f"-m {spec}: write NAME=PATH with PATH a .safetensors weights file, e.g. -m my-net=model.safetensors"
            )
        from srbench.methods.baselines import shipped_name

        if name in METHODS and canonical_method_name(name) != shipped_name(path):
            raise ConfigError(f"-m {spec}: {name} is a registered method (another computation); choose another NAME")
        return weights_method(path, name)
    if spec.endswith(".safetensors"):
        return weights_method(spec)
    if spec in METHODS:
        return METHODS.get(spec)()
    if Path(spec).is_dir():
        raise ConfigError(f"{spec} is a folder; to score SR images in it pass --sr-dir {spec}")
    return METHODS.get(spec)()  # raises the registry's "unknown method" error
