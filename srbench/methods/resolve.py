"""From what a user writes to a method: a registered name or alias, a weights file, ``NAME=PATH``, ``sr-dir:PATH``,
any of them with a ``+histmatch`` post-process.

Registered names resolve through :data:`srbench.methods.base.METHODS`, which ``srbench/methods/__init__.py`` fills
(importing this module imports that package first).
"""

from __future__ import annotations

from pathlib import Path

from srbench.errors import ConfigError
from srbench.methods.base import METHODS, Method
from srbench.methods.model import ModelMethod
from srbench.methods.naming import canonical_method_name, shipped_name, weights_name
from srbench.methods.postprocessed import PostProcessed, split_postprocess
from srbench.methods.srcnn import SRCNNMethod
from srbench.methods.srdir import SrDirMethod


def weights_method(path: str | Path, name: str | None = None) -> Method:
    """The method of an srbench weights file: SRCNN (which upsamples bicubically first) or another network.

    ``name`` defaults to :func:`weights_name` of the file's metadata. The method's key includes the weights'
    sha256, so two different files never share stored results.
    """
    from srbench.models.weights import read_metadata

    meta = read_metadata(path)
    name = name or weights_name(meta, path)
    if meta.get("architecture") == "srcnn":
        return SRCNNMethod.from_weights(path, name=name)
    return ModelMethod.from_weights(path, name=name)


def resolve_method(spec: str) -> Method:
    """A registered method name or alias, a weights file, ``NAME=PATH`` (a weights file under an explicit name),
    or ``sr-dir:PATH`` for a folder of SR outputs; any of them followed by ``+histmatch`` (the output histogram-
    matched to the LR input, :mod:`srbench.methods.postprocessed`)."""
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
