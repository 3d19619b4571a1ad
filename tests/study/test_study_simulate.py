"""``simulate`` feeds the same pipeline: a known preference must come back out of ``analyze``."""

from __future__ import annotations

import math

import pytest
import scipy.stats

from srbench.study.analyze import analyze_votes
from srbench.study.plan import make_plan
from srbench.study.simulate import Crowd, power, simulate_votes, strengths_for_preference
from srbench.study.spec import QCRules


def _expected(plan_slots: list) -> dict[int, int]:
    return {s: len(t) for s, t in enumerate(plan_slots)}


def test_known_two_method_preference_is_recovered() -> None:
    p = 0.75
    plan = make_plan([f"i{j}" for j in range(120)], ["A", "B"], workers_per_pair=5, trials_per_worker=20, seed=1)
    votes = simulate_votes(plan, Crowd(strengths_for_preference(["A", "B"], p), attention=1.0), seed=2)
    # a real preference of 0.75 flips a repeat with probability 0.375, so the repeat rule is off here
    rules = QCRules(min_repeat_consistency=0.0)
    res = analyze_votes(votes, ["A", "B"], rules, _expected(plan.slots), n_boot=1000)
    row = res.pairs.iloc[0]
    assert row["boot_low"] < p < row["boot_high"]  # vote-level share
    majority = float(scipy.stats.binom.sf(2, 5, p))  # P(at least 3 of 5 prefer A) = 0.8965
    assert row["wilson_low"] < majority < row["wilson_high"]
    bt = res.bt.set_index("method")
    diff = bt.loc["A", "bt_score"] - bt.loc["B", "bt_score"]
    assert diff == pytest.approx(math.log(p / (1 - p)), abs=0.35)
    assert bt.loc["A", "ci_low"] < math.log(p / (1 - p)) / 2 < bt.loc["A", "ci_high"]
    assert res.summary["excluded_workers"] <= 0.1 * plan.n_slots  # sentinel lapses only (2 %)


def test_inattentive_workers_are_excluded_and_the_preference_survives() -> None:
    p = 0.85
    plan = make_plan(
        [f"i{j}" for j in range(60)],
        ["A", "B"],
        workers_per_pair=5,
        trials_per_worker=10,
        sentinels_per_worker=4,
        repeats_per_worker=2,
        seed=3,
    )
    votes = simulate_votes(plan, Crowd(strengths_for_preference(["A", "B"], p), attention=0.6), seed=4)
    res = analyze_votes(votes, ["A", "B"], QCRules(), _expected(plan.slots), n_boot=500)
    raw_share = votes[votes["kind"] == "pair"]["prefers_a"].mean()
    kept_share = res.pairs.iloc[0]["vote_share_a"]
    assert res.summary["excluded_workers"] >= 0.25 * plan.n_slots
    assert abs(kept_share - p) < abs(raw_share - p)
    # an inattentive worker passes 3 of 4 sentinels by luck with probability 5/16, so some bias remains
    assert kept_share - raw_share > 0.05


def test_bradley_terry_recovers_the_order_of_three_methods() -> None:
    theta = {"x": 1.0, "y": 0.0, "z": -1.0}
    plan = make_plan([f"i{j}" for j in range(60)], list(theta), workers_per_pair=5, trials_per_worker=20, seed=5)
    votes = simulate_votes(plan, Crowd(theta, attention=1.0), seed=6)
    bt = analyze_votes(votes, list(theta), QCRules(), None, n_boot=200).bt.set_index("method")
    assert list(bt["bt_score"].sort_values(ascending=False).index) == ["x", "y", "z"]
    for m, t in theta.items():
        assert bt.loc[m, "ci_low"] < t < bt.loc[m, "ci_high"]


def test_power_is_near_alpha_without_preference_and_near_one_with_a_strong_one() -> None:
    null = power(30, 5, 0.5, attention=1.0, sims=40, seed=7)
    strong = power(30, 5, 0.8, attention=1.0, sims=20, seed=8)
    assert null["power"] <= 0.15
    assert strong["power"] >= 0.95
