"""The result store: atomic per-group files, deduplicated by key, bit-exact round trip, clear errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from srbench.data.datasets import resolve_dataset
from srbench.errors import DataError
from srbench.evaluate import EvalRequest, evaluate
from srbench.methods import resolve_method
from srbench.results.store import ResultStore, default_store_root
from srbench.results.table import GroupKey

RowsFactory = Callable[..., pd.DataFrame]


def _group(rows: pd.DataFrame, method: str, dataset: str) -> tuple[GroupKey, pd.DataFrame]:
    g = rows[(rows["method"] == method) & (rows["dataset"] == dataset)].reset_index(drop=True)
    r = g.iloc[0]
    key = GroupKey(method, r["method_key"], dataset, r["dataset_checksum"], int(r["scale"]), r["protocol_key"])
    return key, g


def test_stored_group_reads_back_bit_identical(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g)
    back = store.lookup(key, list(g["image"]), ["psnr", "ssim", "fsim", "vif"])
    assert back is not None
    for m in ("psnr", "ssim", "fsim", "vif"):
        assert np.array_equal(back[m].to_numpy(), g[m].to_numpy())  # 17 significant digits: exact


def test_writing_the_same_group_twice_keeps_one_copy(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g)
    store.replace(key, g)
    assert len(store.files()) == 1
    assert len(store.rows()) == len(g)


def test_metrics_not_recomputed_are_kept_when_a_group_is_rewritten(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g.drop(columns=["fsim", "vif"]))
    later = g.drop(columns=["psnr", "ssim"])
    store.replace(key, later)
    back = store.lookup(key, list(g["image"]), ["psnr", "ssim", "fsim", "vif"])
    assert back is not None
    assert np.array_equal(back["psnr"].to_numpy(), g["psnr"].to_numpy())
    assert np.array_equal(back["vif"].to_numpy(), g["vif"].to_numpy())


def test_a_kept_metric_keeps_its_recorded_settings_when_a_group_is_rewritten(
    tmp_path: Path, rows_factory: RowsFactory
) -> None:
    import json

    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    first = g.drop(columns=["fsim", "vif"]).assign(
        metric_settings=json.dumps({"psnr": {"peak": 255.0}, "ssim": {"K1": 0.01}}, sort_keys=True)
    )
    store.replace(key, first)
    later = g.drop(columns=["psnr", "ssim"]).assign(
        metric_settings=json.dumps({"fsim": {"T1": 0.85}, "vif": {"sigma_n_sq": 2.0}}, sort_keys=True)
    )
    store.replace(key, later)
    back = store.rows()
    for text in back["metric_settings"]:
        assert json.loads(text) == {
            "fsim": {"T1": 0.85},
            "psnr": {"peak": 255.0},
            "ssim": {"K1": 0.01},
            "vif": {"sigma_n_sq": 2.0},
        }


def test_lookup_misses_when_an_image_or_metric_is_missing(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g.drop(columns=["vif"]))
    assert store.lookup(key, list(g["image"]), ["vif"]) is None
    assert store.lookup(key, [*g["image"], "extra"], ["psnr"]) is None


def test_a_failed_write_leaves_the_previous_group_intact(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows_factory: RowsFactory,
) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g)
    before = store.path_for(key).read_bytes()

    def crash(self: pd.DataFrame, fh: object, **kw: object) -> None:
        fh.write("dataset,scale,meth")  # type: ignore[attr-defined]  (half a header, then the process "dies")
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash)
    with pytest.raises(KeyboardInterrupt):
        store.replace(key, g.assign(psnr=0.0))
    monkeypatch.undo()
    assert store.path_for(key).read_bytes() == before
    assert len(store.rows()) == len(g)
    assert not [p for p in store.path_for(key).parent.iterdir() if p.name.endswith(".tmp")]


def test_leftover_temporary_files_are_ignored(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g)
    (store.path_for(key).parent / ".a--x.csv.abc.tmp").write_text("dataset,sca")
    assert len(store.rows()) == len(g)


def test_corrupt_group_file_is_named_in_a_one_line_error(tmp_path: Path, rows_factory: RowsFactory) -> None:
    store = ResultStore(tmp_path)
    key, g = _group(rows_factory({"a": 0.0}), "a", "set5")
    store.replace(key, g)
    store.path_for(key).write_bytes(b"\x00\xff garbage\n1,2\n1,2,3,4\n")
    with pytest.raises(DataError) as exc:
        store.rows()
    msg = str(exc.value)
    assert str(store.path_for(key)) in msg and "\n" not in msg and "delete it" in msg


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: p])
def test_missing_or_empty_store_says_run_eval_first(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataError, match="run srbench eval first"):
        ResultStore(make(tmp_path)).rows()


def test_default_root_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRBENCH_STORE", str(tmp_path / "s"))
    assert default_store_root() == tmp_path / "s"
    monkeypatch.delenv("SRBENCH_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_store_root() == tmp_path / "xdg" / "srbench" / "store"


def test_evaluate_adds_groups_to_the_store_and_reuses_them(tmp_path: Path) -> None:
    ds = [resolve_dataset("demo", None)]
    methods = [resolve_method("bicubic"), resolve_method("nearest")]
    store = ResultStore(tmp_path)
    first = evaluate(EvalRequest(ds, methods, [4], ["psnr"], store=store))
    assert first.computed_groups == 2 and len(store.files()) == 2
    again = evaluate(EvalRequest(ds, methods, [4], ["psnr"], store=store))
    assert again.computed_groups == 0 and again.reused_groups == 2
    merged = first.rows.merge(again.rows, on=["method", "image"], suffixes=("", "_again"))
    assert np.array_equal(merged["psnr"].to_numpy(), merged["psnr_again"].to_numpy())
    assert len(store.rows()) == len(first.rows)
