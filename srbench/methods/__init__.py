"""SR methods behind one interface; see :mod:`srbench.methods.base`."""

from srbench.methods import baselines as _baselines  # noqa: F401  (registers the shipped models)
from srbench.methods import classic as _classic  # noqa: F401  (registers bicubic, nearest)
from srbench.methods import srcnn as _srcnn  # noqa: F401
from srbench.methods.base import METHODS, Method, resolve_method
from srbench.methods.srdir import SrDirMethod

__all__ = ["METHODS", "Method", "SrDirMethod", "resolve_method"]
