"""``-m NAME+histmatch``: the paper's post-process as part of a method (Johnson et al. 2016, section 4.2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srbench.data.datasets import resolve_dataset
from srbench.errors import ConfigError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.methods.naming import canonical_method_name
from srbench.methods.postprocessed import PostProcessed, split_postprocess
from srbench.protocol.record import get_protocol


def test_the_suffix_names_a_distinct_method_with_its_own_key() -> None:
    bare = resolve_method("johnson-x4-pixel")
    matched = resolve_method("johnson-x4-pixel+histmatch")
    assert isinstance(matched, PostProcessed)
    assert matched.name == "johnson-x4-pixel+histmatch"
    assert matched.key() != bare.key()
    assert matched.provenance()["method"] == bare.provenance()
    assert "histmatch" in matched.provenance()["postprocess"]


def test_aliases_resolve_before_the_suffix() -> None:
    assert canonical_method_name("srcnn+histmatch") == "srcnn-955-imagenet-x4+histmatch"
    assert split_postprocess("my+model") == ("my+model", None)
    assert resolve_method("srcnn+histmatch").key() == resolve_method("srcnn-955-imagenet-x4+histmatch").key()


def test_a_folder_of_sr_images_cannot_be_post_processed(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(ConfigError, match="--histmatch rgb"):
        resolve_method(f"sr-dir:{tmp_path}+histmatch")


@pytest.mark.parametrize("spec", ["johnson-x4-pixel", "bicubic"])
def test_the_post_process_equals_the_protocol_histmatch_option(spec: str) -> None:
    """Same numbers as ``--histmatch rgb`` (RGB networks) or ``--histmatch y`` (luminance methods) applied by the
    protocol: the post-process only moves where matching happens."""
    demo = [resolve_dataset("demo")]
    method = resolve_method(spec)
    mode = "rgb" if method.space == "rgb" else "y"
    by_protocol = evaluate(
        EvalRequest(
            demo,
            [method],
            scales=[4],
            metrics=["psnr", "ssim"],
            protocol=get_protocol("standard").replace(histmatch=mode),
        )
    ).rows
    postprocessed = resolve_method(f"{spec}+histmatch")
    by_method = evaluate(
        EvalRequest(demo, [postprocessed], scales=[4], metrics=["psnr", "ssim"], protocol=get_protocol("standard"))
    ).rows
    assert list(by_method["image"]) == list(by_protocol["image"])
    assert by_method["psnr"].to_numpy() == pytest.approx(by_protocol["psnr"].to_numpy(), abs=1e-6)
    assert by_method["ssim"].to_numpy() == pytest.approx(by_protocol["ssim"].to_numpy(), abs=1e-7)
    bare = evaluate(EvalRequest(demo, [method], scales=[4], metrics=["psnr"], protocol=get_protocol("standard"))).rows
    assert (bare["psnr"].to_numpy() != by_method["psnr"].to_numpy()).any()
