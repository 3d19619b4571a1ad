"""Scoring SR methods on datasets under a recorded protocol."""

from srbench.evaluate.runner import EvalResult, evaluate

__all__ = ["EvalResult", "evaluate"]
