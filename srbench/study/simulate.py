"""``srbench study simulate``: synthetic workers answering a plan, and the power of a study design.

A worker is *attentive* with probability ``attention``. An attentive worker prefers method ``i`` over ``j`` with
the Bradley-Terry probability ``1 / (1 + exp(theta_j - theta_i))`` (``theta`` = the given strengths, plus an
optional per-image logit offset with standard deviation ``image_sd``), answers a sentinel correctly except for a
``lapse`` rate, and answers in a log-normal time with median ``rt_median_ms`` and log-sd ``rt_sigma``. An
inattentive worker clicks at random and fast (median ``rt_median_ms / 4``). For two methods, a preference ``P``
(share of attentive votes for the first) is ``theta = (logit P, 0)``.

The votes go through the same :func:`srbench.study.ingest.tidy_votes` and :mod:`srbench.study.analyze` code as
real ones. :func:`power` repeats simulate -> QC (the design's declared :class:`~srbench.study.qc.QcPolicy`) ->
majority -> binomial test and reports the share of studies that reject "no preference" at level ``alpha``, with
the shares of attentive workers kept and inattentive workers excluded; :func:`solve` finds the number of images,
or workers per image pair, that reaches a target power.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from srbench.errors import ConfigError
from srbench.study.analyze import binomial_p, majority_votes
from srbench.study.ingest import tidy_votes
from srbench.study.plan import HR_LABEL, SENTINEL, Plan, make_plan
from srbench.study.qc import QcPolicy, kept_pair_votes, qc_workers


@dataclass(frozen=True)
class Crowd:
    """Synthetic worker population (see the module docstring)."""

    strengths: Mapping[str, float]
    attention: float = 0.9
    lapse: float = 0.02
    image_sd: float = 0.0
    rt_median_ms: float = 1500.0
    rt_sigma: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.attention <= 1.0 or not 0.0 <= self.lapse <= 1.0:
            raise ConfigError("--attention and the lapse rate must lie in [0, 1]")
        if self.rt_median_ms <= 0 or self.rt_sigma < 0 or self.image_sd < 0:
            raise ConfigError("--rt-median must be > 0; --rt-sigma and --image-sd must be >= 0")


def strengths_for_preference(labels: Sequence[str], preference: float) -> dict[str, float]:
    """``theta = (logit P, 0, 0, ...)``: attentive workers prefer the first method with probability ``P``
    (``P = 1``: ``theta = inf``, always preferred)."""
    if not 0.0 < preference <= 1.0:
        raise ConfigError(f"--preference {preference} must lie in (0, 1]")
    first = math.inf if preference == 1.0 else math.log(preference / (1 - preference))
    return {lab: (first if i == 0 else 0.0) for i, lab in enumerate(labels)}


def _p_left(d: float) -> float:
    """Logistic ``1 / (1 + exp(-d))``, exact at ``d = +-inf``."""
    if d >= 0:
        return 1.0 / (1.0 + math.exp(-d))
    e = math.exp(d)
    return e / (1.0 + e)


def simulate_responses(plan: Plan, crowd: Crowd, seed: int = 0) -> pd.DataFrame:
    """One synthetic worker per slot; returns ``worker_id, trial_id, choice, rt_ms, attentive``."""
    rng = np.random.default_rng(seed)
    stimuli = sorted({t.stimulus for t in plan.trials()})
    offset = dict(zip(stimuli, rng.normal(0.0, crowd.image_sd, len(stimuli)), strict=True))
    rows = []
    for slot, trials in enumerate(plan.slots):
        wid = f"sim{slot:05d}"
        attentive = bool(rng.random() < crowd.attention)
        median = crowd.rt_median_ms if attentive else crowd.rt_median_ms / 4
        for t in trials:
            if not attentive:
                left = rng.random() < 0.5
            elif t.kind == SENTINEL:
                left = (t.left == HR_LABEL) != (rng.random() < crowd.lapse)
            else:
                d = crowd.strengths[t.left] - crowd.strengths[t.right]
                d += offset[t.stimulus] * (1 if t.left == t.method_a else -1)
                left = rng.random() < _p_left(d)
            rt = float(median * math.exp(crowd.rt_sigma * rng.standard_normal()))
            rows.append(
                {
                    "worker_id": wid,
                    "trial_id": t.trial_id,
                    "choice": "left" if left else "right",
                    "rt_ms": rt,
                    "attentive": attentive,
                }
            )
    return pd.DataFrame(rows, columns=["worker_id", "trial_id", "choice", "rt_ms", "attentive"])


def _votes_and_attentive(plan: Plan, crowd: Crowd, seed: int) -> tuple[pd.DataFrame, set[str]]:
    resp = simulate_responses(plan, crowd, seed)
    workers = pd.DataFrame({"worker_id": resp["worker_id"].unique(), "platform": "simulate", "external_id": ""})
    votes = tidy_votes(plan, resp[["worker_id", "trial_id", "choice", "rt_ms"]], workers, "simulate")
    return votes, set(resp.loc[resp["attentive"], "worker_id"])


def simulate_votes(plan: Plan, crowd: Crowd, seed: int = 0) -> pd.DataFrame:
    """Synthetic answers as the tidy votes table (``source = 'simulate'``)."""
    return _votes_and_attentive(plan, crowd, seed)[0]


@dataclass(frozen=True)
class Design:
    """A two-method study design: images, workers per image pair, the per-worker plan and the declared QC."""

    n_images: int = 50
    workers_per_pair: int = 5
    trials_per_worker: int = 20
    sentinels_per_worker: int = 4
    repeats_per_worker: int = 2
    qc: QcPolicy = field(default_factory=QcPolicy)

    def __post_init__(self) -> None:
        if self.n_images < 1 or self.workers_per_pair < 1 or self.trials_per_worker < 1:
            raise ConfigError("--images, --workers-per-pair and --trials-per-worker must be >= 1")
        if self.sentinels_per_worker < 0 or self.repeats_per_worker < 0:
            raise ConfigError("--sentinels and --repeats must be >= 0")

    def plan(self, labels: Sequence[str], seed: int) -> Plan:
        return make_plan(
            [f"img{j:04d}" for j in range(self.n_images)],
            labels,
            workers_per_pair=self.workers_per_pair,
            trials_per_worker=self.trials_per_worker,
            sentinels_per_worker=self.sentinels_per_worker,
            repeats_per_worker=self.repeats_per_worker,
            seed=seed,
            min_repeat_gap=self.qc.min_repeat_gap,
        )


@dataclass(frozen=True)
class PowerRequest:
    """Power of ``design`` against ``crowd`` (whose ``strengths`` name exactly the two methods, first = A)."""

    design: Design
    crowd: Crowd
    sims: int = 200
    alpha: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.crowd.strengths) != 2:
            raise ConfigError("power analysis compares two methods; pass --preference or two --strength LABEL=THETA")
        if self.sims < 1 or not 0.0 < self.alpha < 1.0:
            raise ConfigError("--sims must be >= 1 and --alpha in (0, 1)")


@dataclass(frozen=True)
class PowerResult:
    """``power`` (share of simulated studies whose image-level majority binomial test gives ``p < alpha``), its
    Monte-Carlo s.e. ``sqrt(power (1 - power) / sims)``, the mean share of images preferring A, and what the
    declared QC did: the share of attentive workers kept and of inattentive workers excluded."""

    design: Design
    power: float
    mc_se: float
    mean_share_a: float
    attentive_kept: float
    inattentive_excluded: float


def power(request: PowerRequest) -> PowerResult:
    """simulate -> QC (as declared in ``design.qc``) -> majority per image -> binomial test, ``sims`` times.

    Study ``i`` uses plan seed ``seed + i`` and answer seed ``seed + 100003 (i + 1)`` whatever the design, so two
    designs are compared on common random numbers (which keeps :func:`solve` stable).
    """
    d, labels = request.design, tuple(request.crowd.strengths)
    hits, shares = 0, []
    kept = [0, 0]  # attentive kept, attentive total
    dropped = [0, 0]  # inattentive excluded, inattentive total
    for i in range(request.sims):
        plan = d.plan(labels, request.seed + i)
        votes, attentive = _votes_and_attentive(plan, request.crowd, request.seed + 100_003 * (i + 1))
        workers = qc_workers(votes, d.qc, {s: len(t) for s, t in enumerate(plan.slots)})
        att = workers["worker_id"].isin(attentive)
        kept[0] += int((att & ~workers["excluded"]).sum())
        kept[1] += int(att.sum())
        dropped[0] += int((~att & workers["excluded"]).sum())
        dropped[1] += int((~att).sum())
        maj = majority_votes(kept_pair_votes(votes, workers, d.qc))
        decided = maj[maj["majority"] != "tie"]
        k, n = int((decided["majority"] == "A").sum()), len(decided)
        if n and binomial_p(k, n) < request.alpha:
            hits += 1
        shares.append(k / n if n else math.nan)
    pw = hits / request.sims
    return PowerResult(
        design=d,
        power=pw,
        mc_se=math.sqrt(pw * (1 - pw) / request.sims),
        mean_share_a=float(np.nanmean(shares)) if not all(math.isnan(x) for x in shares) else math.nan,
        attentive_kept=kept[0] / kept[1] if kept[1] else math.nan,
        inattentive_excluded=dropped[0] / dropped[1] if dropped[1] else math.nan,
    )


def solve(
    request: PowerRequest, target: float = 0.8, vary: str = "images", limit: int = 0
) -> tuple[PowerResult | None, list[PowerResult]]:
    """The smallest number of images (``vary = "images"``) or workers per image pair (``"workers"``) whose power
    reaches ``target``, the other design choices as in ``request.design``.

    Images: doubling from ``design.n_images`` until the target is reached, then bisection (power rises with the
    number of images). Workers: 1, 2, 3, ... in order, since ties make even counts weaker than the odd count below.
    ``limit`` caps the search (default 4096 images or 25 workers). Returns ``(result or None if not reached within
    the limit, every design evaluated)``.
    """
    if not 0.0 < target < 1.0:
        raise ConfigError(f"--target-power {target} must lie in (0, 1)")
    if vary not in ("images", "workers"):
        raise ConfigError(f"--solve {vary!r}: use images or workers")
    tried: dict[int, PowerResult] = {}

    def at(n: int) -> PowerResult:
        if n not in tried:
            d = request.design
            design = replace(d, n_images=n) if vary == "images" else replace(d, workers_per_pair=n)
            tried[n] = power(replace(request, design=design))
        return tried[n]

    def curve() -> list[PowerResult]:
        return [tried[n] for n in sorted(tried)]

    if vary == "workers":
        for n in range(1, (limit or 25) + 1):
            if at(n).power >= target:
                return tried[n], curve()
        return None, curve()
    cap = limit or 4096
    hi = max(1, min(request.design.n_images, cap))
    while at(hi).power < target:
        if hi >= cap:
            return None, curve()
        hi = min(2 * hi, cap)
    lo = 0  # power(lo) < target or lo = 0
    for n in sorted(tried):
        if n < hi and tried[n].power < target:
            lo = max(lo, n)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if at(mid).power >= target:
            hi = mid
        else:
            lo = mid
    return tried[hi], curve()
