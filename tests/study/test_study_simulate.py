"""``simulate`` feeds the same pipeline: a known preference must come back out of ``analyze``."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import scipy.stats

from srbench.study.analyze import analyze_votes
from srbench.study.plan import make_plan
from srbench.study.qc import QcPolicy
from srbench.study.simulate import (
    Crowd,
    Design,
    PowerRequest,
    power,
    simulate_votes,
    solve,
    strengths_for_preference,
)


def _expected(plan_slots: list) -> dict[int, int]:
    return {s: len(t) for s, t in enumerate(plan_slots)}


def test_known_two_method_preference_is_recovered() -> None:
    p = 0.75
    plan = make_plan([f"i{j}" for j in range(120)], ["A", "B"], workers_per_pair=5, trials_per_worker=20, seed=1)
    votes = simulate_votes(plan, Crowd(strengths_for_preference(["A", "B"], p), attention=1.0), seed=2)
    rules = QcPolicy()  # repeats measure agreement only (a real preference of 0.75 flips a repeat 37.5 % of the time)
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
    res = analyze_votes(votes, ["A", "B"], QcPolicy(), _expected(plan.slots), n_boot=500)
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
    bt = analyze_votes(votes, list(theta), QcPolicy(), None, n_boot=200).bt.set_index("method")
    assert list(bt["bt_score"].sort_values(ascending=False).index) == ["x", "y", "z"]
    for m, t in theta.items():
        assert bt.loc[m, "ci_low"] < t < bt.loc[m, "ci_high"]


def _request(preference: float = 0.8, sims: int = 20, **design: object) -> PowerRequest:
    crowd = Crowd(strengths_for_preference(["A", "B"], preference), attention=float(design.pop("attention", 1.0)))
    return PowerRequest(Design(**design), crowd, sims=sims, seed=7)  # type: ignore[arg-type]


def test_power_is_near_alpha_without_preference_and_near_one_with_a_strong_one() -> None:
    null = power(_request(0.5, sims=40, n_images=30))
    strong = power(_request(0.8, n_images=30))
    assert null.power <= 0.15
    assert strong.power >= 0.95
    assert strong.attentive_kept >= 0.95


def test_power_honours_image_spread_and_strengths() -> None:
    base = _request(0.7, n_images=20)
    spread = PowerRequest(base.design, replace(base.crowd, image_sd=3.0), sims=20, seed=7)
    a, b = power(base), power(spread)
    assert (a.power, a.mean_share_a) != (b.power, b.mean_share_a)
    # strengths theta = (1, 0) are the preference 1 / (1 + e^-1): the same simulated studies
    theta = PowerRequest(base.design, Crowd({"x": 1.0, "y": 0.0}, attention=1.0), sims=20, seed=7)
    p = 1 / (1 + math.exp(-1))
    pref = PowerRequest(base.design, Crowd(strengths_for_preference(["x", "y"], p), attention=1.0), sims=20, seed=7)
    assert power(theta) == power(pref)


def test_power_applies_the_declared_qc() -> None:
    lax = power(_request(0.7, n_images=20, attention=0.5, qc=QcPolicy(min_sentinel_accuracy=0.0, min_median_rt_ms=0.0)))
    strict = power(_request(0.7, n_images=20, attention=0.5))
    assert lax.inattentive_excluded == 0.0 < strict.inattentive_excluded


def test_solve_finds_the_smallest_number_of_images_reaching_the_target() -> None:
    found, tried = solve(_request(0.75, sims=20, n_images=4), target=0.8, vary="images")
    assert found is not None and found.power >= 0.8
    n = found.design.n_images
    below = [r for r in tried if r.design.n_images < n]
    assert below and max(below, key=lambda r: r.design.n_images).power < 0.8
    assert {r.design.n_images for r in tried} >= {4, n}


def test_solve_for_workers_and_an_unreachable_target() -> None:
    found, tried = solve(_request(0.75, sims=10, n_images=10), target=0.8, vary="workers", limit=9)
    assert found is not None and found.design.workers_per_pair == len(tried)
    none, tried = solve(_request(0.5, sims=10, n_images=5), target=0.9, vary="workers", limit=3)
    assert none is None and len(tried) == 3
