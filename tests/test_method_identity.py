"""A method's identity is what it computes: names from weights metadata, NAME=PATH, aliases, protocol names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from srbench.errors import ConfigError
from srbench.methods import resolve_method
from srbench.methods.base import distinct_methods
from srbench.methods.naming import canonical_method_name, weights_name
from srbench.methods.resolve import weights_method
from srbench.models.weights import file_sha256, load_weights, read_metadata, save_weights
from srbench.protocol.record import PROTOCOLS, Protocol, protocol_from_name, protocol_label
from srbench.registry import Registry

REPO = Path(__file__).resolve().parents[1]
PIXEL = REPO / "srbench" / "methods" / "shipped" / "johnson_x4_pixel.safetensors"
FEATURE = REPO / "srbench" / "methods" / "shipped" / "johnson_x4_feature.safetensors"


def _retrained(path: Path, out: Path, **changes: object) -> Path:
    """A copy of a shipped model with other weights (and optionally other metadata): another computation."""
    model, meta = load_weights(path)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    save_weights(out, model, {**meta, **changes})
    return out


def test_shipped_weights_by_path_are_named_and_keyed_as_the_registered_baseline() -> None:
    by_path, by_name = resolve_method(str(FEATURE)), resolve_method("johnson-x4-feature")
    assert by_path.name == by_name.name == "johnson-x4-feature" and by_path.key() == by_name.key()
    assert resolve_method(str(PIXEL)).name == "johnson-x4-pixel"


def test_other_weights_are_named_from_their_metadata_never_as_a_shipped_model(tmp_path: Path) -> None:
    mine = _retrained(PIXEL, tmp_path / "model.safetensors")
    m = resolve_method(str(mine))
    assert m.name == f"johnson-x4-pixel-{file_sha256(mine)[:8]}"  # not "model", not the shipped name
    assert m.key() != resolve_method(str(PIXEL)).key()
    named = _retrained(PIXEL, tmp_path / "run.safetensors", run_name="my-run")
    assert resolve_method(str(named)).name == "my-run"
    assert weights_name({"architecture": "srcnn", "scale": 3, "loss": {"type": "pixel"}}, tmp_path / "x") == (
        "srcnn-x3-pixel"
    )
    assert read_metadata(mine)["loss"]["type"] == "pixel"


def test_name_equals_path_names_a_weights_file_explicitly(tmp_path: Path) -> None:
    m = resolve_method(f"baseline-a={PIXEL}")
    assert m.name == "baseline-a" and m.key() != resolve_method(str(PIXEL)).key()
    with pytest.raises(ConfigError, match="registered method"):
        resolve_method(f"bicubic={PIXEL}")
    assert resolve_method(f"johnson-x4-pixel={PIXEL}").key() == resolve_method("johnson-x4-pixel").key()
    with pytest.raises(ConfigError, match="NAME=PATH"):
        resolve_method("a=b.txt")


def test_two_weights_with_one_name_in_one_eval_get_distinct_names(tmp_path: Path) -> None:
    a = _retrained(PIXEL, tmp_path / "a.safetensors", run_name="run")
    b = _retrained(FEATURE, tmp_path / "b.safetensors", run_name="run")
    methods = distinct_methods([resolve_method(str(a)), resolve_method(str(b)), resolve_method(str(a))])
    assert [m.name for m in methods] == [f"run-{file_sha256(a)[:8]}", f"run-{file_sha256(b)[:8]}"]
    assert methods[0].provenance()["name"] == methods[0].name and methods[0].key() != methods[1].key()


def test_an_alias_resolves_to_one_canonical_name() -> None:
    reg: Registry[int] = Registry("thing")
    reg.add("long-name", 1)
    reg.alias("short", "long-name")
    assert reg.get("SHORT") == 1 and reg.canonical("short") == "long-name" and reg.names() == ["long-name"]
    assert reg.canonical("other") == "other"
    with pytest.raises(ValueError, match="twice"):
        reg.add("short", 2)
    assert canonical_method_name("srcnn") == "srcnn-955-imagenet-x4"
    assert canonical_method_name("my-net") == "my-net"


@pytest.mark.parametrize(
    ("protocol", "label"),
    [
        (PROTOCOLS["standard"], "standard"),
        (PROTOCOLS["rcan"], "rcan"),
        (PROTOCOLS["standard"].replace(degradation="given", lr_source="/lr/{dataset}"), "standard+lr-dir"),
        (PROTOCOLS["standard"].replace(degradation="blur-bicubic"), "blur-bicubic"),  # equal keys, equal names
        (PROTOCOLS["rcan"].replace(shave=0), "rcan+shave=0"),
        (PROTOCOLS["standard"].replace(y_rounding="float", histmatch="rgb"), "standard+y-rounding=float+histmatch=rgb"),
    ],
)
def test_every_protocol_gets_a_readable_name_from_its_preset_and_overrides(protocol: Protocol, label: str) -> None:
    assert protocol_label(protocol) == label
    if "lr-dir" not in label:
        assert protocol_from_name(label).key() == protocol.key()


def test_protocol_names_are_distinct_for_distinct_keys_and_keys_are_accepted() -> None:
    variants = [p.replace(shave=s) for p in PROTOCOLS.values() for s in (-1, 0, 2)]
    by_key = {p.key(): protocol_label(p) for p in variants}
    assert len(set(by_key.values())) == len(by_key)
    assert protocol_from_name(PROTOCOLS["rcan"].key()) == PROTOCOLS["rcan"]
    with pytest.raises(ConfigError, match="cannot rebuild"):
        protocol_from_name("standard+lr-dir")


@pytest.mark.parametrize("run", ["srcnn_x8", "johnson_x4_pixel"])
def test_a_weights_files_key_does_not_depend_on_its_file_name(run: str, tmp_path: Path) -> None:
    """Identity is what a file computes: a renamed or moved copy keeps the key (the shipped weights were moved once)."""
    original = REPO / "srbench" / "methods" / "shipped" / f"{run}.safetensors"
    copy = tmp_path / "renamed.safetensors"
    shutil.copyfile(original, copy)
    assert weights_method(copy, "x").key() == weights_method(original, "x").key()
