"""The committed reports/ are what `srbench report build` makes from the committed reports/store."""

from __future__ import annotations

from pathlib import Path

import pytest

from srbench.report.build import COMMAND, check_reports

REPO = Path(__file__).resolve().parents[2]


def test_committed_reports_are_up_to_date_with_the_committed_store(tmp_path: Path) -> None:
    store = REPO / "reports" / "store"
    if not store.is_dir():
        pytest.fail(f"{store} is missing: evaluate the shipped baselines into it (reports/README.md)")
    stale = check_reports(store, REPO / "reports", tmp_path)
    assert stale == [], f"reports/ out of date with reports/store: {stale}; regenerate with `{COMMAND}`"


def test_committed_leaderboard_covers_every_shipped_baseline() -> None:
    text = (REPO / "reports" / "leaderboard.md").read_text()
    x4, x8 = text.split("**x8", 1)
    nets = ("johnson-{s}-pixel", "johnson-{s}-feature", "johnson-{s}-pixel+histmatch", "johnson-{s}-feature+histmatch")
    for m in ("bicubic", "nearest", "srcnn-955-imagenet-x4", *(n.format(s="x4") for n in nets)):
        assert f"| {m} |" in x4
    for m in ("bicubic", "nearest", "srcnn-x8", *(n.format(s="x8") for n in nets)):
        assert f"| {m} |" in x8
    for title in ("Set5", "Set14", "BSD100"):
        assert f"{title} PSNR" in x4 and f"{title} SSIM" in x8


@pytest.mark.parametrize("scale", [4, 8])
def test_committed_store_rows_are_reproduced_by_the_current_code(shared_datasets: Path, scale: int) -> None:
    """Bicubic on Set5 re-scored now equals the committed store rows (all four metrics)."""
    import numpy as np

    from srbench.data.datasets import resolve_dataset
    from srbench.evaluate import EvalRequest, evaluate
    from srbench.methods import resolve_method
    from srbench.results.store import ResultStore

    stored = ResultStore(REPO / "reports" / "store").rows()
    stored = stored[(stored["method"] == "bicubic") & (stored["dataset"] == "set5") & (stored["scale"] == scale)]
    fresh = evaluate(EvalRequest([resolve_dataset("set5", shared_datasets)], [resolve_method("bicubic")], [scale])).rows
    both = fresh.merge(stored, on="image", suffixes=("", "_stored"))
    assert len(both) == 5
    assert (both["protocol_key"] == both["protocol_key_stored"]).all()
    for m in ("psnr", "ssim", "fsim", "vif"):
        assert np.allclose(both[m], both[f"{m}_stored"], rtol=0, atol=1e-9), m


def test_committed_store_scores_the_weights_that_are_shipped() -> None:
    """Every stored row of a shipped baseline (bare or post-processed) is of the weights installed today."""
    import json

    from srbench.methods.baselines import SHIPPED, shipped_weights
    from srbench.models.weights import file_sha256
    from srbench.results.store import ResultStore

    rows = ResultStore(REPO / "reports" / "store").rows()
    for name in SHIPPED:
        sha = file_sha256(shipped_weights(name))
        for method in (name, f"{name}+histmatch") if name.startswith("johnson-") else (name,):
            at = rows[rows["method"] == method]
            assert not at.empty, f"{method} has no rows in reports/store"
            for text in at["method_provenance"].unique():
                prov = json.loads(text)
                while "method" in prov:
                    prov = prov["method"]
                assert prov["weights_sha256"] == sha, f"{method}: stored rows are of other weights"


def test_committed_x4_tables_show_the_perceptual_distances() -> None:
    """Issue 14: LPIPS / DISTS of the paper's x4 columns in the paper table, and as leaderboard columns."""
    text = (REPO / "reports" / "johnson2016_x4.md").read_text()
    assert "Perceptual distances LPIPS" in text and "l_feat DISTS" in text
    leaderboard = (REPO / "reports" / "leaderboard.md").read_text().split("**x8", 1)[0]
    assert "Set5 LPIPS" in leaderboard and "Set5 DISTS" in leaderboard


def test_committed_crop_figures_exist_per_scale() -> None:
    for name in ("fig8_x4_butterfly", "fig9_x8_baby"):
        for suffix in ("png", "pdf"):
            assert (REPO / "reports" / "figures" / f"{name}.{suffix}").stat().st_size > 10_000, name
