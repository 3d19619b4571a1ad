"""Scoring SR methods on datasets under a recorded protocol: ``evaluate(EvalRequest(datasets, methods, ...))``."""

from srbench.evaluate.request import EvalRequest
from srbench.evaluate.runner import EvalResult, evaluate

__all__ = ["EvalRequest", "EvalResult", "evaluate"]
