"""The seeded trial plan: coverage, side balance, sentinels and repeats."""

from __future__ import annotations

from collections import Counter, defaultdict

from srbench.study.plan import BLUR_LABEL, HR_LABEL, PAIR, REPEAT, SENTINEL, Plan, make_plan

STIMULI = [f"img{i}" for i in range(7)]
LABELS = ["a", "b", "c"]


def _plan(**kw: int) -> Plan:
    args = {"workers_per_pair": 5, "trials_per_worker": 6, "sentinels_per_worker": 2, "repeats_per_worker": 2} | kw
    return make_plan(STIMULI, LABELS, seed=11, **args)


def test_every_comparison_is_answered_by_exactly_n_distinct_slots_with_balanced_sides() -> None:
    plan = _plan()
    slots_of: dict[str, set[int]] = defaultdict(set)
    a_left: Counter[str] = Counter()
    for t in plan.trials():
        if t.kind == PAIR:
            slots_of[t.comparison_id()].add(t.slot)
            a_left[t.comparison_id()] += t.left == t.method_a
    assert len(slots_of) == len(STIMULI) * 3  # 3 method pairs per stimulus
    assert all(len(s) == 5 for s in slots_of.values())
    assert all(abs(2 * a_left[c] - 5) == 1 for c in slots_of)  # 3-2 or 2-3 over 5 replicates
    for trials in plan.slots:
        pairs = [t for t in trials if t.kind == PAIR]
        left_a = sum(t.left == t.method_a for t in pairs)
        assert abs(2 * left_a - len(pairs)) <= 1


def test_sentinels_put_the_hr_on_the_answer_side() -> None:
    plan = _plan()
    sentinels = [t for t in plan.trials() if t.kind == SENTINEL]
    assert len(sentinels) == 2 * plan.n_slots
    for t in sentinels:
        assert {t.left, t.right} == {HR_LABEL, BLUR_LABEL}
        assert (t.left if t.answer == "left" else t.right) == HR_LABEL
    assert Counter(t.answer for t in sentinels) == Counter({"left": plan.n_slots, "right": plan.n_slots})


def test_repeats_come_later_than_their_original_with_sides_swapped() -> None:
    plan = _plan()
    by_id = plan.by_id()
    for trials in plan.slots:
        reps = [t for t in trials if t.kind == REPEAT]
        assert len(reps) == 2
        for r in reps:
            o = by_id[r.repeat_of]
            assert o.slot == r.slot and o.kind == PAIR
            assert r.position >= o.position + 2 or r.position == len(trials) - 1
            assert (r.left, r.right) == (o.right, o.left)
        assert [t.position for t in trials] == list(range(len(trials)))


def test_plan_is_a_function_of_its_seed_and_survives_json() -> None:
    a, b = _plan(), _plan()
    assert a.to_dict() == b.to_dict()
    assert Plan.from_dict(a.to_dict()).to_dict() == a.to_dict()
    c = make_plan(STIMULI, LABELS, seed=12, workers_per_pair=5, trials_per_worker=6)
    assert [t.stimulus for t in c.trials()] != [t.stimulus for t in a.trials()]
    assert len({t.trial_id for t in a.trials()}) == len(a.trials())
