"""The protocol record: every knob that changes a number, stored with every result.

A :class:`Protocol` is a frozen dataclass; its :meth:`Protocol.key` (a sha256 of the canonical JSON) keys the
result cache, so results made under different settings are never mixed or reused for each other.

Presets (``PROTOCOLS``):

* ``standard``: the literature protocol of conventions section 0, which reproduces the published x4 bicubic
  means: Y = MATLAB ``rgb2ycbcr`` of the uint8 HR (rounded), grayscale used as Y, LR by MATLAB bicubic on the
  double path and not quantised, outputs clipped and rounded to uint8, shave = scale, Wang 2004 SSIM.
* ``uint8-lr``: as ``standard``, but the LR is made on MATLAB's uint8 path (bit-exact with the EDSR/RCAN
  ``LR_bicubic`` benchmark files), i.e. what a method reading the published LR PNGs sees.
* ``rcan``: RCAN/EDSR MATLAB test code: float Y (``rgb2ycbcr(im2double(.))``), grayscale replicated to RGB,
  uint8-path LR.
* ``blur-bicubic``: ``standard`` with the Johnson et al. training degradation (blur sigma 1, then bicubic).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from srbench import builtin
from srbench.errors import ConfigError

HISTMATCH = ("none", "rgb", "y")


@dataclass(frozen=True)
class Protocol:
    """Every choice between the HR file and a score.

    Attributes:
        name: preset the record started from.
        degradation: ``bicubic`` | ``blur-bicubic`` | ``given`` (LR files supplied with ``--lr-dir``).
        degradation_version: version of the degradation's definition.
        lr_path: ``imresize`` numeric path for the LR: ``double`` | ``uint8``.
        lr_border: ``symmetric`` (current MATLAB) | ``replicate``.
        lr_quantize: round the LR to uint8 before the method sees it (real LR files are uint8).
        colour: the colour space the metrics use.
        y_rounding: ``round`` (uint8 ``rgb2ycbcr``) | ``float``.
        grayscale: ``as-y`` (gray value is Y) | ``replicate`` (gray -> RGB -> Y).
        modcrop: crop HR to a multiple of the scale (top-left kept).
        shave: border pixels dropped before metrics; ``-1`` means "the scale".
        quantize_sr: clip and round SR outputs to uint8 before metrics.
        histmatch: post-process SR outputs by histogram matching to the LR input: ``none`` | ``rgb`` | ``y``.
        lr_source: the given LR folder template (``--lr-dir``), made absolute; empty otherwise. The files' content is
            in each group's method key (``+lr:<sha256 prefix>``), so rewritten files are scored again.
    """

    name: str = "standard"
    degradation: str = "bicubic"
    degradation_version: int = 1
    lr_path: str = "double"
    lr_border: str = "symmetric"
    lr_quantize: bool = False
    colour: str = "ycbcr-bt601-y"
    y_rounding: str = "round"
    grayscale: str = "as-y"
    modcrop: bool = True
    shave: int = -1
    quantize_sr: bool = True
    histmatch: str = "none"
    lr_source: str = ""

    def __post_init__(self) -> None:
        # the shipped names are checked without importing the degradations (torch): srbench eval on SR folders
        # makes no LR image and runs without torch (issue 12)
        if self.degradation != "given" and self.degradation not in builtin.DEGRADATIONS:
            from srbench.protocol.degradations import DEGRADATIONS  # one registered by other code, if any

            if self.degradation not in DEGRADATIONS:
                raise ConfigError(
                    f"unknown degradation {self.degradation!r}; choose one of: {', '.join(DEGRADATIONS.names())}"
                )
        checks = {
            "lr_path": ("double", "uint8"),
            "lr_border": ("symmetric", "replicate"),
            "y_rounding": ("round", "float"),
            "grayscale": ("as-y", "replicate"),
            "histmatch": HISTMATCH,
        }
        for field, allowed in checks.items():
            value = getattr(self, field)
            if value not in allowed:
                raise ConfigError(f"protocol {field}={value!r} is not one of {', '.join(allowed)}")
        if self.shave < -1:
            raise ConfigError(f"protocol shave={self.shave} must be >= 0 (or -1 for 'the scale')")

    def shave_for(self, scale: int) -> int:
        return scale if self.shave == -1 else self.shave

    def replace(self, **changes: Any) -> Protocol:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Protocol:
        return cls(**json.loads(text))

    def key(self) -> str:
        """Short sha256 of everything but the preset name: equal keys mean equal numbers."""
        d = self.to_dict()
        d.pop("name")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


PROTOCOLS: dict[str, Protocol] = {
    "standard": Protocol(),
    "uint8-lr": Protocol(name="uint8-lr", lr_path="uint8"),
    "rcan": Protocol(name="rcan", lr_path="uint8", y_rounding="float", grayscale="replicate"),
    "blur-bicubic": Protocol(name="blur-bicubic", degradation="blur-bicubic"),
}


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"unknown protocol {name!r}; choose one of: {', '.join(PROTOCOLS)}") from None


#: settings that never name a protocol on their own (the given LR folder is part of ``+lr-dir``)
_UNNAMED = ("name", "lr_source")


def protocol_label(protocol: Protocol) -> str:
    """A readable name for a protocol record, derived from its preset and overrides: ``standard``,
    ``standard+lr-dir``, ``rcan+shave=0``, ``standard+y-rounding=float+histmatch=rgb``.

    A record equal (key for key) to a preset is that preset's name, whatever preset it was started from, so equal
    keys always give equal labels. Otherwise the base is the preset the record names (else ``standard``) and
    every setting that differs from it is appended as ``+setting=value``; given LR files (``--lr-dir``) append
    ``+lr-dir``. Different keys can share a label only through ``lr_source`` (two LR folders); reports add
    the key beside it.
    """
    for name, preset in PROTOCOLS.items():
        if preset.key() == protocol.key():
            return name
    base_name = protocol.name.split("+", 1)[0]
    base = PROTOCOLS.get(base_name, PROTOCOLS["standard"])
    if base_name not in PROTOCOLS:
        base_name = "standard"
    mine, theirs = protocol.to_dict(), base.to_dict()
    parts = [base_name]
    if protocol.degradation == "given":
        parts.append("lr-dir")
    for field, value in mine.items():
        if field in _UNNAMED or value == theirs[field]:
            continue
        if field == "degradation" and value == "given":
            continue
        parts.append(f"{field.replace('_', '-')}={value}".lower())
    return "+".join(parts)


def label_of_record(text: str) -> str:
    """:func:`protocol_label` of a stored protocol record (JSON); ``"unknown"`` when it cannot be read."""
    try:
        data = json.loads(text)
        return protocol_label(Protocol(**{k: v for k, v in data.items() if k in Protocol.__dataclass_fields__}))
    except (TypeError, ValueError, ConfigError):
        return "unknown"


def protocol_from_name(text: str) -> Protocol:
    """The protocol a name stands for: a preset (``standard``), a preset's key, or a derived name with
    overrides (``standard+shave=0+y-rounding=float``, as :func:`protocol_label` writes them).

    ``+lr-dir`` names cannot be rebuilt (the LR files are not in the name); they raise a ``ConfigError``.
    """
    for preset in PROTOCOLS.values():
        if text == preset.key():
            return preset
    base, *overrides = text.split("+")
    proto = get_protocol(base)
    changes: dict[str, Any] = {}
    for item in overrides:
        field, sep, value = item.partition("=")
        attr = field.replace("-", "_")
        if item == "lr-dir" or not sep or attr in _UNNAMED or attr not in Protocol.__dataclass_fields__:
            raise ConfigError(
                f"protocol {text!r}: cannot rebuild {item!r}; use a preset ({', '.join(PROTOCOLS)}) with "
                "+setting=value overrides, e.g. standard+shave=0"
            )
        current = getattr(proto, attr)
        if isinstance(current, bool):
            changes[attr] = value.lower() == "true"
        elif isinstance(current, int):
            changes[attr] = int(value)
        else:
            changes[attr] = value
    return proto.replace(**changes) if changes else proto
