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

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.provenance(), sort_keys=True).encode()).hexdigest()[:16]

    def check_scale(self, scale: int) -> None:  # noqa: B027  (optional hook, no-op by default)
        """Raise ``ConfigError`` if the method cannot run at ``scale`` (trained models are scale-specific)."""


METHODS: Registry[Callable[[], Method]] = Registry("method")


def weights_method(path: str | Path, name: str | None = None) -> Method:
    """The method of an srbench weights file: SRCNN (which upsamples bicubically first) or another network.

    ``name`` defaults to the file's stem.
    """
    from srbench.methods.model import ModelMethod
    from srbench.models.weights import read_metadata

    if read_metadata(path).get("architecture") == "srcnn":
        from srbench.methods.srcnn import SRCNNMethod

        return SRCNNMethod.from_weights(path, name=name)
    return ModelMethod.from_weights(path, name=name)


def resolve_method(spec: str) -> Method:
    """A registered method name, or ``sr-dir:PATH`` for a folder of SR outputs."""
    from srbench.methods.srdir import SrDirMethod

    if spec.startswith("sr-dir:"):
        return SrDirMethod(Path(spec[len("sr-dir:") :]))
    if spec.endswith(".safetensors"):
        return weights_method(spec)
    if spec in METHODS:
        return METHODS.get(spec)()
    if Path(spec).is_dir():
        raise ConfigError(f"{spec} is a folder; to score SR images in it pass --sr-dir {spec}")
    return METHODS.get(spec)()  # raises the registry's "unknown method" error
