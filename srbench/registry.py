"""One registry type for datasets, methods and metrics.

Adding a dataset, a method or a metric is one module that calls ``REGISTRY.register(name)``; the CLI and the
Python API list and resolve names through the same object, so an unknown name always gets the same helpful
error.

A registry may also name the modules that fill it without importing them (:meth:`Registry.defer`): a module is
imported when one of the names it declares is looked up, or, for names it does not declare, when the registry is
read in full. The metric and method registries use this so that scoring PSNR on an SR folder imports only the PSNR
module, not every metric's torch code (issue 12).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from srbench.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name -> object mapping with a clear error for unknown names.

    Names are case-insensitive and stored in lower case. An *alias* is a second name for a registered entry
    (``srcnn`` for ``srcnn-955-imagenet-x4``): :meth:`get` accepts it and :meth:`canonical` maps it to the one
    name under which results are stored and shown.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._aliases: dict[str, str] = {}
        self._lazy: dict[str, str] = {}  # declared name -> the module that registers it, not imported yet
        self._pending: list[str] = []  # modules that fill the registry, not imported yet
        self._undeclared: set[str] = set()  # deferred modules that declared no names

    def defer(self, module: str, names: Sequence[str] = ()) -> None:
        """Let importing ``module`` (a dotted name) fill part of this registry, when needed.

        ``names``: what ``module`` registers (lower case, no aliases); looking one of them up imports ``module``
        alone, and :meth:`names` lists them without importing it. Anything else (an alias, another name,
        :meth:`aliases`, :meth:`names` when a module declared none) imports every deferred module first. A test
        should import each deferred module and check that it registers exactly the names declared.
        """
        self._pending.append(module)
        if not names:
            self._undeclared.add(module)
        for name in names:
            self._lazy[name.lower()] = module

    def _load(self, module: str) -> None:
        # imported first, then marked done: another thread that finds it pending imports it too, which waits for
        # the first import to finish (Python's per-module import locks) rather than reading a half-filled registry
        importlib.import_module(module)
        with contextlib.suppress(ValueError):
            self._pending.remove(module)
        for name, declared_by in list(self._lazy.items()):
            if declared_by == module:  # registered now, or never (then unknown, as without deferral)
                self._lazy.pop(name, None)

    def load_all(self) -> None:
        """Import every deferred module (the registry is then complete)."""
        for module in list(self._pending):
            self._load(module)

    def _known(self, key: str) -> bool:
        return key in self._items or key in self._aliases or key in self._lazy

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers ``obj`` under ``name`` and returns it unchanged."""

        def add(obj: T) -> T:
            self.add(name, obj)
            return obj

        return add

    def add(self, name: str, obj: T) -> None:
        key = name.lower()
        if key in self._items or key in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._items[key] = obj
        self._lazy.pop(key, None)

    def alias(self, name: str, target: str) -> None:
        """Register ``name`` as a second name of the registered ``target``."""
        key, target = name.lower(), target.lower()
        if target in self._lazy:
            self._load(self._lazy[target])
        if key in self._items or key in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        if target not in self._items:
            raise ValueError(f"{self.kind} alias {name!r} points at unregistered {target!r}")
        self._aliases[key] = target

    def canonical(self, name: str) -> str:
        """The registered name of ``name`` (lower case, aliases resolved); other names are returned unchanged."""
        key = name.lower()
        if not self._known(key):
            self.load_all()
        if key in self._items or key in self._lazy:
            return key
        return self._aliases.get(key, name)

    def aliases(self) -> dict[str, str]:
        """Alias -> registered name."""
        self.load_all()
        return dict(sorted(self._aliases.items()))

    def get(self, name: str) -> T:
        key = self.canonical(name).lower()
        if key in self._lazy:
            self._load(self._lazy[key])
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r}; choose one of: {known}") from None

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        if not self._known(name.lower()):
            self.load_all()
        return self._known(name.lower())

    def names(self) -> list[str]:
        if any(module in self._undeclared for module in self._pending):
            self.load_all()  # a deferred module that declared no names
        return sorted({*self._items, *self._lazy})

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())
