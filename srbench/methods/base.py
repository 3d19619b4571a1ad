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

Registering a method is one module that calls ``METHODS.add(name, factory)`` (a factory takes no arguments) and
that ``srbench/methods/__init__.py`` names (:meth:`srbench.registry.Registry.defer`: they are imported when the
registry is first read, so that scoring an SR folder imports none of their torch code); this module imports none of
them. Names: :mod:`srbench.methods.naming`; method specs (names, weights files, ``sr-dir:``):
:mod:`srbench.methods.resolve`.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from srbench.registry import Registry

if TYPE_CHECKING:  # no torch at import: srbench eval on SR folders runs without it (issue 12)
    from torch import Tensor

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
