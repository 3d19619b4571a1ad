"""Pre-registered quality control: the exclusion rules of a study and the pure functions that apply them.

The rules (:class:`QcPolicy`) are part of the study spec (the ``qc`` section of the study design,
:class:`srbench.study.design.StudyDesign`; ``StudySpec.qc`` reads it), written before any data is collected, and
:func:`qc_workers` applies exactly those rules, nothing else. The analysis reports every result twice, with and
without the exclusions (:mod:`srbench.study.analyze`).

What each rule measures, and why the defaults are what they are (checked by the simulation in
``tests/study/test_study_qc.py``: the default rules keep at least 95 % of attentive workers at every true preference
from 0.5 to 1, and :func:`srbench.study.simulate.power` reports the kept shares of every design):

* **Sentinel accuracy** (``min_sentinel_accuracy = 0.6``): sentinels show the HR against a heavily blurred copy, so
  one answer is right whatever the worker's taste. With the default 3 sentinels a worker may miss one: an attentive
  worker with a 2 % lapse rate is excluded with probability ``3 * 0.02^2 ~ 0.1 %``, a random clicker kept with
  probability 1/2 (the response-time floor catches most of the rest). Sentinel accuracy does not depend on the
  worker's preference between the methods, so it cannot bias the preference.
* **Response-time floor** (``min_median_rt_ms = 300``): a median below 300 ms is clicking through, not looking at
  two images (simple reaction times alone are ~ 250 ms). Single answers slower than ``max_trial_rt_ms`` are dropped
  (the worker was away), not the worker.
* **Repeats** (``min_repeat_agreement = 0``: reported, not used): a repeated comparison (sides swapped, at least
  ``min_repeat_gap`` trials after its original, never adjacent) measures *agreement*. An honest worker whose true
  preference is ``P`` agrees with themself with probability ``P^2 + (1 - P)^2``, only 1/2 at ``P = 0.5``; a
  consistency threshold therefore excludes honest workers with weak preferences and inflates the effect (the
  issue-13 audit saw 26 % of attentive workers excluded at ``P = 0.55``). The agreement is reported per worker and
  in the summary; a study may still declare ``min_repeat_agreement > 0``, and it is then applied as declared.
* **Completeness** (``require_complete``): workers who left before their last trial are excluded.
"""

from __future__ import annotations

import math
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from srbench.study.plan import PAIR, REPEAT, SENTINEL

QC_COLUMNS = [
    "worker_id",
    "slot",
    "answers",
    "sentinel_accuracy",
    "repeat_agreement",
    "median_rt_ms",
    "excluded",
    "reason",
]


class QcPolicy(BaseModel):
    """Exclusion rules, declared in the spec before data collection (see the module docstring for the defaults).

    Attributes:
        min_sentinel_accuracy: excluded if the share of correct sentinel answers is below this.
        min_median_rt_ms: excluded if the median response time is below this (clicking through).
        max_trial_rt_ms: single answers slower than this are dropped (the worker was away), not the worker.
        require_complete: workers who did not finish their trials are excluded.
        min_repeat_agreement: excluded if the share of repeats answered like their original is below this;
            0 (the default) reports the agreement without excluding anyone by it.
        min_repeat_gap: the plan puts at least this many trials between a comparison and its repeat (>= 1:
            never adjacent).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_sentinel_accuracy: Annotated[float, Field(ge=0.0, le=1.0)] = 0.6
    min_median_rt_ms: Annotated[float, Field(ge=0.0)] = 300.0
    max_trial_rt_ms: Annotated[float, Field(gt=0.0)] = 60_000.0
    require_complete: bool = True
    min_repeat_agreement: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    min_repeat_gap: Annotated[int, Field(ge=1, le=1000)] = 3

    @model_validator(mode="before")
    @classmethod
    def _old_name(cls, data: object) -> object:
        """Specs written before issue 13 call the repeat rule ``min_repeat_consistency``."""
        if isinstance(data, dict) and "min_repeat_consistency" in data:
            data = dict(data)
            data.setdefault("min_repeat_agreement", data.pop("min_repeat_consistency"))
        return data

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> QcPolicy:
        """Validate a spec's ``qc`` object; one-line :class:`ConfigError` naming the bad field."""
        from srbench.study.validation import validated

        return validated(cls, d, "QC rule", "fix the study spec's qc section")

    def to_dict(self) -> dict[str, object]:
        return self.model_dump()


def qc_workers(votes: pd.DataFrame, rules: QcPolicy, expected: dict[int, int] | None = None) -> pd.DataFrame:
    """One row per worker with the QC measures, ``excluded`` and the ``reason`` (``;``-joined rules broken).

    ``sentinel_accuracy`` is the share of sentinels answered correctly, ``repeat_agreement`` the share of repeats
    whose winner equals their original's, ``median_rt_ms`` the median response time (grouped pandas aggregates;
    the test suite checks them against a plain per-worker loop). ``expected`` maps slot -> number of trials (for
    ``require_complete``); without it completeness is not checked.
    """
    if votes.empty:
        return pd.DataFrame(columns=QC_COLUMNS)
    by = votes.groupby("worker_id", sort=True)
    answers = by.size()
    slot = by["slot"].first().astype(int)
    median = by["rt_ms"].median()
    sent = votes[votes["kind"] == SENTINEL]
    accuracy = sent["correct"].astype(float).groupby(sent["worker_id"]).mean()
    originals = votes[["worker_id", "trial_id", "winner"]].rename(
        columns={"trial_id": "repeat_of", "winner": "original_winner"}
    )
    reps = votes.loc[votes["kind"] == REPEAT, ["worker_id", "repeat_of", "winner"]].merge(
        originals, on=["worker_id", "repeat_of"], how="inner"
    )
    agreement = (reps["winner"] == reps["original_winner"]).astype(float).groupby(reps["worker_id"]).mean()
    rows = []
    for wid in answers.index:
        n, s, med = int(answers[wid]), int(slot[wid]), float(median[wid])
        acc = float(accuracy.get(wid, math.nan))
        agree = float(agreement.get(wid, math.nan))
        reasons = []
        if expected is not None and rules.require_complete and n < expected.get(s, 0):
            reasons.append(f"incomplete ({n}/{expected[s]})")
        if not math.isnan(acc) and acc < rules.min_sentinel_accuracy:
            reasons.append(f"sentinel accuracy {acc:.2f} < {rules.min_sentinel_accuracy}")
        if rules.min_repeat_agreement > 0 and not math.isnan(agree) and agree < rules.min_repeat_agreement:
            reasons.append(f"repeat agreement {agree:.2f} < {rules.min_repeat_agreement}")
        if med < rules.min_median_rt_ms:
            reasons.append(f"median response time {med:.0f} ms < {rules.min_median_rt_ms:.0f} ms")
        rows.append([wid, s, n, acc, agree, med, bool(reasons), "; ".join(reasons)])
    return pd.DataFrame(rows, columns=QC_COLUMNS)


def kept_pair_votes(votes: pd.DataFrame, workers: pd.DataFrame | None, rules: QcPolicy) -> pd.DataFrame:
    """Comparison votes (not sentinels, not repeats) without over-long answers; of every worker when ``workers``
    is None (the analysis without exclusions), else of the workers not excluded."""
    v = votes[votes["kind"] == PAIR]
    if workers is not None:
        v = v[~v["worker_id"].isin(set(workers.loc[workers["excluded"], "worker_id"]))]
    return v[v["rt_ms"] <= rules.max_trial_rt_ms]


def expected_agreement(preference: float) -> float:
    """Probability that an honest worker answers a repeat like its original: ``P^2 + (1 - P)^2`` (independent
    answers with preference ``P``); 1/2 at ``P = 0.5``, which is why repeats do not exclude by default."""
    return preference * preference + (1.0 - preference) * (1.0 - preference)
