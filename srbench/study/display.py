"""How stimuli are displayed to workers (the ``display`` section of the study spec).

:class:`DisplayPolicy` is the one place the display protocol's settings are defined; the study spec
(:mod:`srbench.study.design`) only nests it and the server hands it to the worker page (``GET /api/info``).
Today's behaviour, with no settings: every image is shown at its natural size in CSS pixels with
``image-rendering: pixelated``, the nearest-neighbour enlarged input above the pair.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DisplayPolicy(BaseModel):
    """Display settings of a study (none yet: natural size, pixelated; see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
