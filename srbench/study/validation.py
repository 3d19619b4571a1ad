"""One-line validation errors for the study's pydantic models (design file, display and QC policies)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from srbench.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, source: str, fix: str = "fix the study spec") -> M:
    """``model.model_validate(data)``, with the first problem as a one-line ``ConfigError``: ``source: field: what;
    fix``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ConfigError(f"{source}: {where}: {first['msg']}; {fix}") from None
