"""Analysis numbers against values computed by hand, a published example and second implementations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.stats

from srbench.study.analyze import (
    Z95,
    _bootstrap_share,
    binomial_p,
    bradley_terry,
    krippendorff_alpha_nominal,
    majority_votes,
    method_pairs,
    qc_workers,
    wilson_interval,
)
from srbench.study.qc import QcPolicy


def test_wilson_interval_matches_hand_computation() -> None:
    # 8/10: p = .8, z^2 = 3.841459; centre = (.8 + .1920729) / 1.3841459, half = z sqrt(.016 + .0096036) / 1.3841459
    lo, hi = wilson_interval(8, 10)
    assert lo == pytest.approx(0.4901625, abs=1e-6)
    assert hi == pytest.approx(0.9433178, abs=1e-6)
    # 0/10: lower bound 0, upper bound z^2 / (n + z^2)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(Z95**2 / (10 + Z95**2), abs=1e-12)
    assert hi == pytest.approx(0.2775328, abs=1e-6)
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_exact_binomial_test_matches_hand_computation() -> None:
    # 9 of 10: two-sided p = 2 (C(10,9) + C(10,10)) / 2^10 = 22 / 1024
    assert binomial_p(9, 10) == pytest.approx(22 / 1024, rel=1e-12)
    # 7 of 20: 2 sum_{i<=7} C(20, i) / 2^20 = 2 * 137980 / 1048576
    assert binomial_p(7, 20) == pytest.approx(2 * 137980 / 2**20, rel=1e-12)
    assert binomial_p(5, 10) == pytest.approx(1.0)


def _votes(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"stimulus": s, "method_a": "A", "method_b": "B", "prefers_a": p, "worker_id": w} for s, w, p in rows]
    )


def test_majority_vote_per_image_pair_and_method_pair_share() -> None:
    votes = _votes(
        [
            *[("s1", "w1", 1), ("s1", "w2", 1), ("s1", "w3", 0)],  # 2-1: A
            *[("s2", "w1", 0), ("s2", "w2", 0), ("s2", "w3", 1), ("s2", "w4", 1)],  # 2-2: tie
            ("s3", "w1", 0),  # 0-1: B
            *[("s4", "w1", 1), ("s4", "w2", 1), ("s4", "w3", 1)],  # 3-0: A
        ]
    )
    maj = majority_votes(votes).set_index("stimulus")
    assert maj["votes_a"].to_dict() == {"s1": 2, "s2": 2, "s3": 0, "s4": 3}
    assert maj["majority"].to_dict() == {"s1": "A", "s2": "tie", "s3": "B", "s4": "A"}
    row = method_pairs(maj.reset_index(), n_boot=0).iloc[0]
    assert (row["images"], row["ties"], row["majority_a"]) == (4, 1, 2)
    assert row["share_a"] == pytest.approx(2 / 3)
    assert (row["wilson_low"], row["wilson_high"]) == wilson_interval(2, 3)
    assert row["binom_p"] == pytest.approx(1.0)  # 2 of 3: P(X >= 2) + P(X <= 1) = 1
    assert row["vote_share_a"] == pytest.approx(7 / 11)


def test_bootstrap_over_images_agrees_with_scipy_bootstrap() -> None:
    rng = np.random.default_rng(0)
    n = rng.integers(3, 8, size=40)
    a = rng.binomial(n, 0.7)
    ours = _bootstrap_share(pd.DataFrame({"votes_a": a, "votes": n}), 20000, np.random.default_rng(1))
    ref = scipy.stats.bootstrap(
        (a.astype(float), n.astype(float)),
        lambda x, y, axis=-1: x.sum(axis) / y.sum(axis),
        paired=True,
        vectorized=True,
        n_resamples=20000,
        method="percentile",
        random_state=2,
    ).confidence_interval
    assert ours[0] == pytest.approx(ref.low, abs=0.006)
    assert ours[1] == pytest.approx(ref.high, abs=0.006)


def test_krippendorff_alpha_reproduces_the_published_example_and_the_reference_package() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example: alpha = 0.743
    nan = np.nan
    data = np.array(
        [
            [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
            [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
        ]
    )
    units = [[v for v in data[:, u] if not np.isnan(v)] for u in range(data.shape[1])]
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)
    krippendorff = pytest.importorskip("krippendorff")
    rng = np.random.default_rng(4)
    binary = rng.integers(0, 2, size=(5, 30)).astype(float)
    binary[rng.random(binary.shape) < 0.2] = np.nan
    ref = krippendorff.alpha(reliability_data=binary, level_of_measurement="nominal")
    ours = krippendorff_alpha_nominal([[v for v in binary[:, u] if not np.isnan(v)] for u in range(30)])
    assert ours == pytest.approx(ref, abs=1e-12)


def test_bradley_terry_two_items_is_log_odds() -> None:
    # A beats B 3 times of 4: the MLE has P(A > B) = 3/4, so theta_A - theta_B = ln 3
    s = bradley_terry(["A", "B"], [("A", "B")] * 3 + [("B", "A")], alpha=1e-9)
    assert s["A"] - s["B"] == pytest.approx(math.log(3), abs=1e-5)
    assert s.sum() == pytest.approx(0.0, abs=1e-12)


def test_bradley_terry_matches_a_direct_likelihood_maximisation() -> None:
    wins = {("A", "B"): 7, ("B", "A"): 3, ("A", "C"): 8, ("C", "A"): 2, ("B", "C"): 6, ("C", "B"): 4}
    labels = ["A", "B", "C"]
    data = [k for k, n in wins.items() for _ in range(n)]
    ours = bradley_terry(labels, data, alpha=1e-9)

    def nll(t: np.ndarray) -> float:
        th = dict(zip(labels, [0.0, *t], strict=True))
        return sum(n * math.log1p(math.exp(th[lo] - th[w])) for (w, lo), n in wins.items())

    t = scipy.optimize.minimize(nll, np.zeros(2), method="BFGS", options={"gtol": 1e-10}).x
    ref = np.array([0.0, *t])
    ref -= ref.mean()
    np.testing.assert_allclose(ours.to_numpy(), ref, atol=1e-4)


def test_qc_excludes_workers_by_each_declared_rule() -> None:
    def trial(w: str, tid: str, kind: str, winner: str, rt: float, correct: float = np.nan, rep: str = "") -> dict:
        return {
            "worker_id": w,
            "slot": 0,
            "trial_id": tid,
            "kind": kind,
            "winner": winner,
            "rt_ms": rt,
            "correct": correct,
            "repeat_of": rep,
        }

    rows = []
    for w, sent_ok, rep_winner, rt in [
        ("good", 1.0, "A", 900),
        ("blind", 0.0, "A", 900),
        ("fickle", 1.0, "B", 900),
        ("fast", 1.0, "A", 100),
    ]:
        rows += [
            trial(w, "t1", "pair", "A", rt),
            trial(w, "t2", "sentinel", "@hr", rt, sent_ok),
            trial(w, "t3", "repeat", rep_winner, rt, rep="t1"),
        ]
    rows += [trial("quitter", "t1", "pair", "A", 900)]
    q = qc_workers(pd.DataFrame(rows), QcPolicy(min_repeat_agreement=0.5), expected={0: 3}).set_index("worker_id")
    assert not q.loc["good", "excluded"]
    assert "sentinel accuracy 0.00" in q.loc["blind", "reason"]
    assert "repeat agreement 0.00" in q.loc["fickle", "reason"]
    assert "median response time 100 ms" in q.loc["fast", "reason"]
    assert "incomplete (1/3)" in q.loc["quitter", "reason"]
    assert q["excluded"].sum() == 4
    # by default the repeat only measures agreement: the fickle worker is reported, not excluded
    d = qc_workers(pd.DataFrame(rows), QcPolicy(), expected={0: 3}).set_index("worker_id")
    assert not d.loc["fickle", "excluded"] and d.loc["fickle", "repeat_agreement"] == 0.0
    assert d["excluded"].sum() == 3
