"""``srbench study simulate``: synthetic workers answering a plan, and the power of a study design.

A worker is *attentive* with probability ``attention``. An attentive worker prefers method ``i`` over ``j`` with
the Bradley-Terry probability ``1 / (1 + exp(theta_j - theta_i))`` (``theta`` = the given strengths, plus an
optional per-image logit offset with standard deviation ``image_sd``), answers a sentinel correctly except for a
``lapse`` rate, and answers in a log-normal time with median ``rt_median_ms`` and log-sd ``rt_sigma``. An
inattentive worker clicks at random and fast (median ``rt_median_ms / 4``). For two methods, a preference ``P``
(share of attentive votes for the first) is ``theta = (logit P, 0)``.

The votes go through the same :func:`srbench.study.ingest.tidy_votes` and :mod:`srbench.study.analyze` code as
real ones. :func:`power` repeats simulate -> QC -> majority -> binomial test and reports the share of studies
that reject "no preference" at level ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from srbench.errors import ConfigError
from srbench.study.analyze import binomial_p, kept_pair_votes, majority_votes, qc_workers
from srbench.study.ingest import tidy_votes
from srbench.study.plan import HR_LABEL, SENTINEL, Plan, make_plan
from srbench.study.spec import QCRules


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
    """``theta = (logit P, 0, 0, ...)``: attentive workers prefer the first method with probability ``P``."""
    if not 0.0 < preference < 1.0:
        raise ConfigError(f"--preference {preference} must lie strictly between 0 and 1")
    return {lab: (math.log(preference / (1 - preference)) if i == 0 else 0.0) for i, lab in enumerate(labels)}


def simulate_responses(plan: Plan, crowd: Crowd, seed: int = 0) -> pd.DataFrame:
    """One synthetic worker per slot; returns ``worker_id, trial_id, choice, rt_ms``."""
    rng = np.random.default_rng(seed)
    stimuli = sorted({t.stimulus for t in plan.trials()})
    offset = dict(zip(stimuli, rng.normal(0.0, crowd.image_sd, len(stimuli)), strict=True))
    rows = []
    for slot, trials in enumerate(plan.slots):
        wid = f"sim{slot:05d}"
        attentive = rng.random() < crowd.attention
        median = crowd.rt_median_ms if attentive else crowd.rt_median_ms / 4
        for t in trials:
            if not attentive:
                left = rng.random() < 0.5
            elif t.kind == SENTINEL:
                left = (t.left == HR_LABEL) != (rng.random() < crowd.lapse)
            else:
                d = crowd.strengths[t.left] - crowd.strengths[t.right]
                d += offset[t.stimulus] * (1 if t.left == t.method_a else -1)
                left = rng.random() < 1.0 / (1.0 + math.exp(-d))
            rt = float(median * math.exp(crowd.rt_sigma * rng.standard_normal()))
            rows.append({"worker_id": wid, "trial_id": t.trial_id, "choice": "left" if left else "right", "rt_ms": rt})
    return pd.DataFrame(rows, columns=["worker_id", "trial_id", "choice", "rt_ms"])


def simulate_votes(plan: Plan, crowd: Crowd, seed: int = 0) -> pd.DataFrame:
    """Synthetic answers as the tidy votes table (``source = 'simulate'``)."""
    resp = simulate_responses(plan, crowd, seed)
    workers = pd.DataFrame({"worker_id": resp["worker_id"].unique(), "platform": "simulate", "external_id": ""})
    return tidy_votes(plan, resp, workers, "simulate")


def power(
    n_images: int,
    workers_per_pair: int,
    preference: float,
    *,
    attention: float = 0.9,
    sims: int = 200,
    alpha: float = 0.05,
    rules: QCRules | None = None,
    trials_per_worker: int = 20,
    sentinels_per_worker: int = 2,
    repeats_per_worker: int = 2,
    seed: int = 0,
) -> dict[str, float]:
    """Share of simulated two-method studies whose majority-vote binomial test gives ``p < alpha``.

    Returns ``power``, its Monte-Carlo standard error ``sqrt(power (1 - power) / sims)`` and the mean share of
    images preferring A.
    """
    if n_images < 1 or sims < 1:
        raise ConfigError("--images and --sims must be >= 1")
    rules = rules or QCRules()
    labels = ("A", "B")
    crowd = Crowd(strengths_for_preference(labels, preference), attention=attention)
    hits = 0
    shares = []
    for i in range(sims):
        plan = make_plan(
            [f"img{j:04d}" for j in range(n_images)],
            labels,
            workers_per_pair=workers_per_pair,
            trials_per_worker=trials_per_worker,
            sentinels_per_worker=sentinels_per_worker,
            repeats_per_worker=repeats_per_worker,
            seed=seed + i,
        )
        votes = simulate_votes(plan, crowd, seed=seed + 100_003 * (i + 1))
        workers = qc_workers(votes, rules, {s: len(t) for s, t in enumerate(plan.slots)})
        maj = majority_votes(kept_pair_votes(votes, workers, rules))
        decided = maj[maj["majority"] != "tie"]
        k, n = int((decided["majority"] == "A").sum()), len(decided)
        if n and binomial_p(k, n) < alpha:
            hits += 1
        shares.append(k / n if n else math.nan)
    pw = hits / sims
    return {"power": pw, "mc_se": math.sqrt(pw * (1 - pw) / sims), "mean_share_a": float(np.nanmean(shares))}
