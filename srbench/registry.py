"""One registry type for datasets, methods and metrics.

Adding a dataset, a method or a metric is one module that calls ``REGISTRY.register(name)``; the CLI and the
Python API list and resolve names through the same object, so an unknown name always gets the same helpful
error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

    def alias(self, name: str, target: str) -> None:
        """Register ``name`` as a second name of the registered ``target``."""
        key, target = name.lower(), target.lower()
        if key in self._items or key in self._aliases:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        if target not in self._items:
            raise ValueError(f"{self.kind} alias {name!r} points at unregistered {target!r}")
        self._aliases[key] = target

    def canonical(self, name: str) -> str:
        """The registered name of ``name`` (lower case, aliases resolved); other names are returned unchanged."""
        key = name.lower()
        if key in self._items:
            return key
        return self._aliases.get(key, name)

    def aliases(self) -> dict[str, str]:
        """Alias -> registered name."""
        return dict(sorted(self._aliases.items()))

    def get(self, name: str) -> T:
        try:
            return self._items[self.canonical(name).lower()]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r}; choose one of: {known}") from None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name.lower() in self._items or name.lower() in self._aliases)

    def names(self) -> list[str]:
        return sorted(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
