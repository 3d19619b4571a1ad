"""The quality-control policy of a study (the ``qc`` section of the study spec), declared before data collection.

:class:`QcPolicy` holds the exclusion rules :func:`srbench.study.analyze.qc_workers` applies exactly as declared.
This module is the one place the rules' content is defined; the study spec (:mod:`srbench.study.design`) only
nests it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class QcPolicy(BaseModel):
    """Exclusion rules, declared before data collection.

    Attributes:
        min_sentinel_accuracy: a worker is excluded if their share of correct sentinel answers is below this.
        min_repeat_consistency: excluded if the share of repeated trials answered with the same method is below.
        min_median_rt_ms: excluded if their median response time is below this (clicking through).
        max_trial_rt_ms: single responses slower than this are dropped (the worker was away), not the worker.
        require_complete: workers who did not finish their trials are excluded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sentinel_accuracy: Annotated[float, Field(ge=0.0, le=1.0)] = 0.75
    min_repeat_consistency: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    min_median_rt_ms: Annotated[float, Field(ge=0.0)] = 300.0
    max_trial_rt_ms: Annotated[float, Field(gt=0.0)] = 60_000.0
    require_complete: bool = True
