"""SR methods behind one interface; see :mod:`srbench.methods.base`.

This package names the modules that fill the method registry (bicubic and nearest, the authors' SRCNN models, the
shipped baselines); :data:`METHODS` imports them when it is first read (:meth:`srbench.registry.Registry.defer`),
so it lists them all whichever submodule is imported first, and ``srbench eval --sr-dir`` (which reads no
registered method) imports none of their torch code. :mod:`srbench.methods.base` itself imports none of them. The
other names of this package (:class:`SrDirMethod`, :func:`resolve_method`, ...) are imported from their modules on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from srbench.methods.base import METHODS, Method, distinct_methods

if TYPE_CHECKING:
    from srbench.methods.naming import canonical_method_name
    from srbench.methods.resolve import resolve_method, weights_method
    from srbench.methods.srdir import SrDirMethod

#: the modules that register methods (imported when :data:`METHODS` is first read)
REGISTERING = ("srbench.methods.baselines", "srbench.methods.classic", "srbench.methods.srcnn")
for _module in REGISTERING:
    METHODS.defer(_module)

_LAZY = {
    "SrDirMethod": "srbench.methods.srdir",
    "canonical_method_name": "srbench.methods.naming",
    "resolve_method": "srbench.methods.resolve",
    "weights_method": "srbench.methods.resolve",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "METHODS",
    "Method",
    "SrDirMethod",
    "canonical_method_name",
    "distinct_methods",
    "resolve_method",
    "weights_method",
]
