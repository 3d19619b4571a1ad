"""``srbench degrade``: the protocol's LR files, read back by ``eval --lr-dir``, give exactly ``eval``'s numbers.

Independent checks: the shipped MATLAB-made LR files of the benchmark packages (``../shared/datasets/*/lr_x*``,
made by MATLAB ``imresize`` on uint8; see its MANIFEST.md section 4), and the protocol's own LR tensors.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import Tensor

from srbench.data.datasets import Dataset, resolve_dataset
from srbench.data.imageio import read_image
from srbench.data.protocol_files import read_manifest, sha256_file
from srbench.evaluate import EvalRequest, evaluate
from srbench.evaluate.degrade import DegradeRequest, degrade, lr_folder
from srbench.evaluate.pipeline import given_input, hr_stack, method_input, prepare_hr
from srbench.methods.base import Method
from srbench.methods.classic import Bicubic
from srbench.protocol.imresize import imresize
from srbench.protocol.record import Protocol, get_protocol
from srbench.testing.cli import assert_one_line_error, run_cli

SETS = ("set5", "set14", "bsd100")


class RgbBicubic(Method):
    """A stand-in for a user's RGB model: MATLAB bicubic upscaling of all three channels (test only)."""

    name = "rgb-bicubic"
    space = "rgb"

    def upscale(self, lr: Tensor, scale: int, ids: Sequence[str]) -> Tensor:
        return imresize(lr, scale, kernel="cubic", path="double")


def _psnr(datasets: list[Dataset], method: Method, proto: Protocol, lr_dir: str | None = None) -> pd.Series:
    rows = evaluate(
        EvalRequest(datasets, [method], scales=[4, 8], metrics=["psnr"], protocol=proto, lr_dir=lr_dir)
    ).rows
    return rows.set_index(["dataset", "scale", "image"])["psnr"].sort_index()


@pytest.mark.shared
@pytest.mark.parametrize(("protocol", "fmt"), [("uint8-lr", "png"), ("standard", "npy"), ("blur-bicubic", "npy")])
def test_degrade_then_eval_lr_dir_equals_eval_for_every_benchmark_image(
    shared_datasets: Path, tmp_path: Path, protocol: str, fmt: str
) -> None:
    """Set5, Set14, BSD100 at x4 and x8 (PSNR of bicubic, on the luminance LR that --space y writes)."""
    proto = get_protocol(protocol)
    datasets = [resolve_dataset(n, shared_datasets) for n in SETS]
    written = degrade(DegradeRequest(tuple(datasets), tmp_path, (4, 8), proto, fmt, "y"))  # type: ignore[arg-type]
    assert all(f.exact for f in written), "these formats hold the protocol's LR exactly"
    direct = _psnr(datasets, Bicubic(), proto)
    given = _psnr(datasets, Bicubic(), proto, lr_dir=str(tmp_path / "{dataset}" / "lr_x{scale}"))
    assert len(direct) == 2 * 119
    pd.testing.assert_series_equal(given, direct, check_exact=True)


@pytest.mark.shared
@pytest.mark.parametrize(("protocol", "fmt"), [("uint8-lr", "png"), ("standard", "npy"), ("blur-bicubic", "npy")])
def test_rgb_files_read_back_as_the_lr_eval_gives_an_rgb_method(
    shared_datasets: Path, tmp_path: Path, protocol: str, fmt: str, one_torch_thread: None
) -> None:
    """Every image of Set5, Set14, BSD100 at x4 and x8, bit for bit (stronger than PSNR, whose SR rounding could
    hide a tiny LR difference); and the PSNR of an RGB method on Set5 and Set14 through `eval --lr-dir`."""
    proto = get_protocol(protocol)
    cpu = torch.device("cpu")
    datasets = [resolve_dataset(n, shared_datasets) for n in SETS]
    degrade(DegradeRequest(tuple(datasets), tmp_path, (4, 8), proto, fmt, "rgb"))  # type: ignore[arg-type]
    for ds in datasets:
        for scale in (4, 8):
            folder = lr_folder(tmp_path, ds.name, scale)
            manifest = read_manifest(folder)
            assert manifest is not None and manifest.space == "rgb"
            for entry in ds.images:
                hr = prepare_hr(entry.id, entry.load(), scale, proto)
                expected = method_input(hr_stack([hr], cpu), hr.gray, "rgb", proto, scale)
                got = given_input(folder / manifest.files[entry.id], hr, "rgb", proto, scale)
                assert torch.equal(got, expected), (ds.name, scale, entry.id)
    small = datasets[:2]
    direct = _psnr(small, RgbBicubic(), proto)
    given = _psnr(small, RgbBicubic(), proto, lr_dir=str(tmp_path / "{dataset}" / "lr_x{scale}"))
    pd.testing.assert_series_equal(given, direct, check_exact=True)


@pytest.mark.shared
def test_8bit_files_of_a_float_protocol_are_recorded_as_a_quantisation(shared_datasets: Path, tmp_path: Path) -> None:
    ds = resolve_dataset("set5", shared_datasets)
    (folder,) = degrade(DegradeRequest((ds,), tmp_path, (4,), get_protocol("standard")))
    manifest = json.loads((folder.folder / "manifest.json").read_text())
    assert folder.exact is False and manifest["exact"] is False
    assert "quantisation" in manifest["values"]
    assert manifest["protocol_key"] == get_protocol("standard").key()
    assert manifest["degradation"] == "bicubic@1"
    for image_id, entry in manifest["files"].items():
        assert entry["exact"] is False, image_id
        assert sha256_file(folder.folder / entry["file"]) == entry["sha256"]
    # a second run finds the folder complete and leaves it alone
    (again,) = degrade(DegradeRequest((ds,), tmp_path, (4,), get_protocol("standard")))
    assert again.reused


SHIPPED = [
    # (dataset, shipped folder, scale, border): the files' own MATLAB border rule (MANIFEST.md section 4)
    ("set5", "lr_x4", 4, "symmetric"),
    ("set14", "lr_x4", 4, "symmetric"),
    ("set5", "lr_x8", 8, "replicate"),
    ("set14", "lr_x8", 8, "replicate"),
    ("set5", "lr_x4_selfexsr", 4, "replicate"),
    ("set14", "lr_x4_selfexsr", 4, "replicate"),
    ("bsd100", "lr_x4_selfexsr", 4, "replicate"),
]


def _same_pixels(written: np.ndarray, shipped: np.ndarray) -> bool:
    if written.ndim == 2 and shipped.ndim == 3:  # Set14 bridge is stored as R = G = B in lr_x8
        written = np.repeat(written[..., None], 3, axis=2)
    return written.shape == shipped.shape and bool(np.array_equal(written, shipped))


@pytest.mark.shared
@pytest.mark.parametrize(("dataset", "shipped", "scale", "border"), SHIPPED)
def test_uint8_lr_bicubic_files_equal_the_shipped_matlab_lr_files(
    shared_datasets: Path, tmp_path: Path, dataset: str, shipped: str, scale: int, border: str
) -> None:
    """``degrade --protocol uint8-lr`` writes the benchmark packages' LR files, pixel for pixel (MATLAB ``imresize``
    on uint8 rounds after each pass; the border rule is the package's own); ``standard``'s PNGs, rounded once from
    the double path, equal none of them."""
    ds = resolve_dataset(dataset, shared_datasets)
    ids = [e.id for e in ds.images]
    exact = degrade(
        DegradeRequest((ds,), tmp_path / "u8", (scale,), get_protocol("uint8-lr").replace(lr_border=border))
    )
    std = degrade(DegradeRequest((ds,), tmp_path / "std", (scale,), get_protocol("standard").replace(lr_border=border)))
    for image_id in ids:
        ref = read_image(shared_datasets / dataset / shipped / f"{image_id}.png")
        assert _same_pixels(read_image(exact[0].folder / f"{image_id}.png"), ref), image_id
    assert not any(_same_pixels(read_image(std[0].folder / f"{i}.png"), read_image(
        shared_datasets / dataset / shipped / f"{i}.png")) for i in ids)  # fmt: skip


def test_degrade_cli_writes_a_folder_eval_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo set (no shared data): `srbench degrade` then `eval --lr-dir` equals `eval`."""
    out = str(tmp_path / "lr")
    code, _, err = run_cli(
        ["degrade", "-d", "demo", "-s", "4", "--protocol", "uint8-lr", "--space", "y", "-o", out, "--no-progress"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "exact" in err and "lr_x{scale}" in err
    assert (tmp_path / "lr" / "demo" / "lr_x4" / "manifest.json").is_file()
    proto = get_protocol("uint8-lr")
    ds = [resolve_dataset("demo")]
    direct = evaluate(EvalRequest(ds, [Bicubic()], scales=[4], metrics=["psnr", "ssim"], protocol=proto)).rows
    given = evaluate(
        EvalRequest(ds, [Bicubic()], [4], ["psnr", "ssim"], proto, lr_dir=out + "/{dataset}/lr_x{scale}")
    ).rows
    assert given["psnr"].tolist() == direct["psnr"].tolist()
    assert given["ssim"].tolist() == direct["ssim"].tolist()


@pytest.mark.parametrize(
    ("args", "needles"),
    [(["--format", "tiff"], ["tiff", "npy"]), (["--space", "lab"], ["lab", "rgb"]), (["-s", "5"], ["scale 5"])],
)
def test_degrade_mistakes_end_in_one_line_and_status_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    needles: list[str],
) -> None:
    code, _, err = run_cli(["degrade", "-d", "demo", "-o", str(tmp_path), "--no-progress", *args], monkeypatch, capsys)
    assert_one_line_error(code, err, *needles)


def test_a_luminance_folder_is_refused_for_an_rgb_method(tmp_path: Path) -> None:
    from srbench.errors import DataError

    ds = resolve_dataset("demo")
    degrade(DegradeRequest((ds,), tmp_path, (4,), get_protocol("uint8-lr"), "png", "y"))
    with pytest.raises(DataError, match="--space rgb"):
        evaluate(EvalRequest([ds], [RgbBicubic()], [4], ["psnr"], lr_dir=str(tmp_path / "{dataset}/lr_x{scale}")))


def test_a_manifest_json_that_is_not_srbench_s_is_ignored(tmp_path: Path) -> None:
    ds = resolve_dataset("demo")
    proto = get_protocol("uint8-lr")
    degrade(DegradeRequest((ds,), tmp_path, (4,), proto))
    folder = lr_folder(tmp_path, "demo", 4)
    (folder / "manifest.json").write_text('{"made_by": "someone else"}')
    assert read_manifest(folder) is None
    direct = evaluate(EvalRequest([ds], [RgbBicubic()], [4], ["psnr"], proto)).rows["psnr"].tolist()
    given = evaluate(
        EvalRequest([ds], [RgbBicubic()], [4], ["psnr"], proto, lr_dir=str(tmp_path / "{dataset}/lr_x{scale}"))
    )
    assert given.rows["psnr"].tolist() == direct


def test_lr_files_rewritten_in_place_are_scored_again_not_answered_from_the_old_rows(tmp_path: Path) -> None:
    """Results from given LR files are keyed by the files' content: the same folder path with other LR files (a
    `srbench degrade` re-run with other settings) is computed again; unchanged files are reused."""
    from srbench.results.table import read_results

    ds = resolve_dataset("demo")
    template = str(tmp_path / "lr" / "{dataset}/lr_x{scale}")
    out = tmp_path / "rows.csv"

    def run() -> tuple[list[float], int]:
        proto = get_protocol("uint8-lr")
        res = evaluate(EvalRequest([ds], [Bicubic()], [4], ["psnr"], proto, output=out, lr_dir=template))
        return res.rows["psnr"].tolist(), res.reused_groups

    degrade(DegradeRequest((ds,), tmp_path / "lr", (4,), get_protocol("uint8-lr")))
    first, reused = run()
    assert reused == 0
    assert run() == (first, 1)  # unchanged files: reused
    degrade(DegradeRequest((ds,), tmp_path / "lr", (4,), get_protocol("blur-bicubic").replace(lr_quantize=True)))
    second, reused = run()
    assert reused == 0 and second != first  # other files at the same path: computed again
    keys = set(read_results(out)["method_key"])
    assert len(keys) == 2 and all("+lr:" in k for k in keys)
