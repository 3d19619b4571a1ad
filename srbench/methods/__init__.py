"""SR methods behind one interface; see :mod:`srbench.methods.base`.

This package fills the method registry: it imports every module that registers methods (bicubic and nearest,
the authors' SRCNN models, the shipped baselines), so ``METHODS`` lists them all whichever submodule is imported
first. :mod:`srbench.methods.base` itself imports none of them.
"""

from srbench.methods import baselines as _baselines  # noqa: F401  (registers the shipped models)
from srbench.methods import classic as _classic  # noqa: F401  (registers bicubic, nearest)
from srbench.methods import srcnn as _srcnn  # noqa: F401  (registers the authors' SRCNN models)
from srbench.methods.base import METHODS, Method, distinct_methods
from srbench.methods.naming import canonical_method_name
from srbench.methods.resolve import resolve_method, weights_method
from srbench.methods.srdir import SrDirMethod

__all__ = [
    "METHODS",
    "Method",
    "SrDirMethod",
    "canonical_method_name",
    "distinct_methods",
    "resolve_method",
    "weights_method",
]
