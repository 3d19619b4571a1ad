"""Paired comparison statistics, each checked against an independent computation.

* BCa interval: a hand-written numpy BCa bootstrap (Efron & Tibshirani 1993, eqs. 14.9-14.15) on the same data
  with a different random stream (equal to Monte-Carlo tolerance), and the large-sample normal interval.
* Wilcoxon p-values: the exact null distribution enumerated over all 2^m sign assignments, R's ``wilcox.test``
  example (Hollander & Wolfe 1973, p. 29f: V = 40, one-sided exact p = 0.01953, normal p = 0.01908), and the
  tie-corrected normal formula by hand.
* means, differences, wins/ties/losses: by hand.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr, ndtri

from srbench.errors import ConfigError, DataError
from srbench.metrics import METRICS
from srbench.report.stats import bootstrap_mean_ci, comparison_table, paired_comparison, wilcoxon_signed_rank

# --- independent references ------------------------------------------------------------------------------------


def numpy_bca(x: np.ndarray, n_boot: int, confidence: float, seed: int) -> tuple[float, float]:
    """BCa interval of the mean written out from Efron & Tibshirani (1993), §14.3."""
    rng = np.random.default_rng(seed)
    n = x.size
    theta = x.mean()
    boot = x[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    z0 = ndtri(np.mean(boot < theta))  # eq. 14.14
    jack = (x.sum() - x) / (n - 1)  # leave-one-out means
    dev = jack.mean() - jack
    a = np.sum(dev**3) / (6.0 * np.sum(dev**2) ** 1.5)  # eq. 14.15
    alpha = (1.0 - confidence) / 2.0
    out = []
    for z in (ndtri(alpha), ndtri(1.0 - alpha)):
        level = ndtr(z0 + (z0 + z) / (1.0 - a * (z0 + z)))  # eq. 14.10
        out.append(float(np.quantile(boot, level)))
    return out[0], out[1]


def midranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..m of ``v`` with ties given the mean of the ranks they span."""
    order = np.argsort(v, kind="stable")
    ranks = np.empty(v.size)
    i = 0
    while i < v.size:
        j = i
        while j + 1 < v.size and v[order[j + 1]] == v[order[i]]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def exact_wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided p of W+ by enumerating every sign assignment of the (mid-)ranks of the non-zero |d|."""
    d = d[d != 0]
    r = midranks(np.abs(d))
    w = r[d > 0].sum()
    null = np.array([sum(r[i] for i in range(d.size) if s[i]) for s in itertools.product((0, 1), repeat=d.size)])
    lower, upper = np.mean(null <= w + 1e-9), np.mean(null >= w - 1e-9)
    return min(1.0, 2.0 * min(lower, upper))


def normal_wilcoxon_p(d: np.ndarray) -> float:
    """Two-sided normal-approximation p with the tie-corrected variance, no continuity correction."""
    d = d[d != 0]
    m = d.size
    r = midranks(np.abs(d))
    w = r[d > 0].sum()
    _, counts = np.unique(np.abs(d), return_counts=True)
    var = m * (m + 1) * (2 * m + 1) / 24.0 - np.sum(counts**3 - counts) / 48.0
    z = (w - m * (m + 1) / 4.0) / np.sqrt(var)
    return float(2.0 * ndtr(-abs(z)))


def make_rows(values: dict[str, list[float]], dataset: str = "set5", scale: int = 4, key: str = "k1") -> pd.DataFrame:
    recs = []
    for method, vals in values.items():
        for i, v in enumerate(vals):
            recs.append(
                {"dataset": dataset, "scale": scale, "method": method, "image": f"img{i:02d}", "psnr": v,
                 "ssim": np.nan, "protocol_key": key}
            )  # fmt: skip
    return pd.DataFrame.from_records(recs)


# --- bootstrap -------------------------------------------------------------------------------------------------


def test_bca_interval_matches_a_hand_written_bca_bootstrap_on_skewed_data() -> None:
    x = np.random.default_rng(7).lognormal(0.0, 1.0, size=30)
    ours = bootstrap_mean_ci(x, n_boot=40000, seed=1)
    ref = numpy_bca(x, n_boot=40000, confidence=0.95, seed=12345)
    width = ref[1] - ref[0]
    assert ours[0] == pytest.approx(ref[0], abs=0.04 * width)
    assert ours[1] == pytest.approx(ref[1], abs=0.04 * width)
    # the skew moves BCa away from the plain percentile interval by more than the Monte-Carlo tolerance
    boot = x[np.random.default_rng(3).integers(0, x.size, size=(40000, x.size))].mean(axis=1)
    pct = np.quantile(boot, [0.025, 0.975])
    assert abs(ours[1] - pct[1]) > 0.06 * width


def test_bca_interval_approaches_the_normal_interval_for_large_symmetric_samples() -> None:
    x = np.random.default_rng(0).normal(1.0, 2.0, size=400)
    half = 1.959964 * x.std(ddof=1) / np.sqrt(x.size)
    lo, hi = bootstrap_mean_ci(x, n_boot=20000, seed=0)
    assert lo == pytest.approx(x.mean() - half, abs=0.05 * half)
    assert hi == pytest.approx(x.mean() + half, abs=0.05 * half)


def test_bootstrap_interval_of_constant_differences_is_the_constant() -> None:
    assert bootstrap_mean_ci(np.full(6, 0.25)) == (0.25, 0.25)


def test_bootstrap_interval_is_reproducible_for_a_seed() -> None:
    x = np.random.default_rng(1).normal(size=12)
    assert bootstrap_mean_ci(x, seed=5) == bootstrap_mean_ci(x, seed=5)


# --- Wilcoxon --------------------------------------------------------------------------------------------------


def test_wilcoxon_p_equals_the_enumerated_exact_distribution_without_ties() -> None:
    d = np.array([0.31, -1.2, 2.5, 0.74, -0.12, 1.9, 3.3, -0.55])
    p, how = wilcoxon_signed_rank(d)
    assert how == "exact"
    assert p == pytest.approx(exact_wilcoxon_p(d), rel=1e-12)


def test_wilcoxon_with_tied_ranks_enumerates_sign_flips_over_midranks() -> None:
    d = np.array([1.0, 2.0, 2.0, -3.0, 4.0, -2.0, 5.0, 5.0])
    p, how = wilcoxon_signed_rank(d)
    assert how == "exact-ties"
    assert p == pytest.approx(exact_wilcoxon_p(d), rel=1e-12)


def test_wilcoxon_drops_zero_differences_before_ranking() -> None:
    d = np.array([0.0, 0.8, -0.3, 0.0, 1.7, 2.2, 0.9])
    p, _ = wilcoxon_signed_rank(d)
    assert p == pytest.approx(exact_wilcoxon_p(d[d != 0]), rel=1e-12)
    assert wilcoxon_signed_rank(np.zeros(4))[0] != wilcoxon_signed_rank(np.zeros(4))[0]  # NaN: nothing to test


def test_wilcoxon_reproduces_the_r_wilcox_test_example() -> None:
    # R ?wilcox.test, Hollander & Wolfe (1973) p. 29f: wilcox.test(x, y, paired = TRUE, alternative = "greater")
    # gives V = 40, p-value = 0.01953 (exact, = 10/512); the two-sided exact p doubles it.
    x = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
    y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])
    d = x - y
    assert midranks(np.abs(d))[d > 0].sum() == 40
    p, how = wilcoxon_signed_rank(d)
    assert how == "exact"
    assert p == pytest.approx(2 * 0.01953, abs=2e-5)
    assert p == 20 / 512
    # R's large-sample p (exact = FALSE, correct = FALSE) is 0.01908 one-sided: it validates the hand formula
    assert normal_wilcoxon_p(d) / 2 == pytest.approx(0.01908, abs=5e-6)


def test_wilcoxon_uses_the_tie_corrected_normal_approximation_for_large_tied_samples() -> None:
    d = np.round(np.random.default_rng(4).normal(0.3, 1.0, size=60), 1)  # rounding creates ties
    assert np.unique(np.abs(d)).size < d.size
    p, how = wilcoxon_signed_rank(d)
    assert how == "normal"
    assert p == pytest.approx(normal_wilcoxon_p(d), rel=1e-10)


# --- paired_comparison -----------------------------------------------------------------------------------------


def test_paired_comparison_by_hand() -> None:
    a = [30.0, 31.5, 28.25, 33.0, 29.0, 27.5]
    b = [29.0, 31.5, 28.75, 31.0, 28.5, 27.0]
    c = paired_comparison(make_rows({"A": a, "B": b}), "A", "B", "set5", 4, "psnr", n_boot=2000)
    d = np.array(a) - np.array(b)  # 1.0, 0.0, -0.5, 2.0, 0.5, 0.5
    assert c.n == 6
    assert c.mean_a == pytest.approx(sum(a) / 6)
    assert c.mean_b == pytest.approx(sum(b) / 6)
    assert c.mean_diff == pytest.approx(3.5 / 6)
    assert (c.wins, c.ties, c.losses) == (4, 1, 1)
    assert c.p_value == pytest.approx(exact_wilcoxon_p(d), rel=1e-12)
    assert c.ci_low < c.mean_diff < c.ci_high
    assert c.protocol_key == "k1"


def test_paired_comparison_pairs_rows_by_image_id_not_by_order() -> None:
    rows = make_rows({"A": [1.0, 2.0, 3.0, 4.0], "B": [1.5, 1.0, 3.5, 5.0]})
    shuffled = pd.concat([rows[rows.method == "A"], rows[rows.method == "B"].iloc[::-1]], ignore_index=True)
    c = paired_comparison(shuffled, "A", "B", "set5", 4, "psnr")
    assert c == paired_comparison(rows, "A", "B", "set5", 4, "psnr")
    # by id: d = -0.5, 1, -0.5, -1 (1 win, 3 losses); pairing by row order would give d = -4, -1.5, 2, 2.5
    assert (c.wins, c.ties, c.losses) == (1, 0, 3)


def test_wins_follow_the_metric_direction(monkeypatch: pytest.MonkeyPatch) -> None:
    lower = replace(METRICS.get("psnr"), name="fakeloss", higher_is_better=False)
    monkeypatch.setitem(METRICS._items, "fakeloss", lower)
    rows = make_rows({"A": [0.1, 0.5, 0.3], "B": [0.2, 0.4, 0.3]}).rename(columns={"psnr": "fakeloss"})
    c = paired_comparison(rows, "A", "B", "set5", 4, "fakeloss", n_boot=1000)
    assert (c.wins, c.ties, c.losses) == (1, 1, 1)  # A lower on img00 = win, higher on img01 = loss


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"method_b": "C"}, DataError, "methods there: A, B"),
        ({"dataset": "set14"}, DataError, "the rows hold: set5"),
        ({"scale": 2}, DataError, "set5 has x4"),
        ({"metric": "ssim"}, DataError, "it has psnr"),
        ({"metric": "nope"}, ConfigError, "unknown metric"),
        ({"method_b": "A"}, ConfigError, "two different methods"),
    ],
)
def test_bad_selection_gives_one_line_errors_naming_what_exists(
    kwargs: dict[str, object], error: type[Exception], needle: str
) -> None:
    args: dict[str, object] = {"method_a": "A", "method_b": "B", "dataset": "set5", "scale": 4, "metric": "psnr"}
    args.update(kwargs)
    with pytest.raises(error) as exc:
        paired_comparison(make_rows({"A": [1.0, 2.0], "B": [2.0, 1.0]}), **args)  # type: ignore[arg-type]
    assert needle in str(exc.value)
    assert "\n" not in str(exc.value)


def test_refuses_methods_scored_under_different_protocols() -> None:
    rows = pd.concat([make_rows({"A": [1.0, 2.0]}, key="k1"), make_rows({"B": [1.0, 2.5]}, key="k2")])
    with pytest.raises(ConfigError, match="different protocols"):
        paired_comparison(rows, "A", "B", "set5", 4, "psnr")


def test_refuses_image_sets_that_differ() -> None:
    rows = make_rows({"A": [1.0, 2.0, 3.0], "B": [1.0, 2.0, 3.0]})
    rows = rows[~((rows.method == "B") & (rows.image == "img02"))]
    with pytest.raises(DataError, match="'img02' only in A"):
        paired_comparison(rows, "A", "B", "set5", 4, "psnr")


def test_refuses_fewer_than_two_images() -> None:
    with pytest.raises(DataError, match="at least 2"):
        paired_comparison(make_rows({"A": [1.0], "B": [2.0]}), "A", "B", "set5", 4, "psnr")


def test_comparison_table_holds_every_pair_on_every_dataset() -> None:
    rows = pd.concat(
        [
            make_rows({"A": [1.0, 2.0, 3.5], "B": [0.5, 2.5, 3.0], "C": [1.0, 1.0, 1.0]}, dataset="set5"),
            make_rows({"A": [4.0, 5.0], "B": [4.5, 4.0], "C": [3.0, 3.5]}, dataset="set14"),
        ]
    )
    table = comparison_table(rows, "psnr", n_boot=1000)
    assert list(zip(table.dataset, table.method_a, table.method_b, strict=True)) == [
        ("set5", "A", "B"), ("set5", "A", "C"), ("set5", "B", "C"),
        ("set14", "A", "B"), ("set14", "A", "C"), ("set14", "B", "C"),
    ]  # fmt: skip
    one = paired_comparison(rows, "B", "C", "set14", 4, "psnr", n_boot=1000)
    assert table.iloc[5].to_dict() == one.__dict__
