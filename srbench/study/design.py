"""The study design a researcher writes (YAML or JSON): texts, ethics, pay, platforms, slot policy, display, QC.

``srbench study create --spec design.yaml`` validates it with pydantic (unknown keys, wrong types and
out-of-range values are refused with a one-line error naming the file and the key) and stores it, versioned, inside
``study.json``; the analysis and the server read it from there, so the results always carry the rules and texts
they were collected under. Every key is optional; the defaults are a production study on MTurk or Prolific::

    version: 1
    title: Which image looks better?
    instructions: |            # plain text; a blank line starts a new paragraph
      You will see ...
    consent: |
      Your answers ...
    ethics: {board: University X ethics board, approval: ERC-2026-17}
    researcher: {name: A. Researcher, email: a@x.org, institution: University X}
    minutes: 5                 # time estimate shown to workers
    pay: {amount: "1.00", currency: USD}
    practice: true             # one practice screen (HR against a blurred copy), with feedback, not recorded
    platforms: [mturk, prolific]   # `web` (anonymous) only for local or lab runs, and only when listed here
    slots: {time_limit_minutes: 30, active_grace_minutes: 5, per_worker: 1}
    rate_limit: {window_seconds: 60, starts_per_client: 10, starts_per_identity: 3}
    display: {}                # srbench.study.display.DisplayPolicy
    qc: {}                     # srbench.study.qc.QcPolicy
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from srbench.errors import ConfigError, DataError
from srbench.study.display import DisplayPolicy
from srbench.study.qc import QcPolicy
from srbench.study.validation import validated

DESIGN_VERSION: Literal[1] = 1
Platform = Literal["web", "mturk", "prolific"]
PRODUCTION_PLATFORMS: tuple[Platform, ...] = ("mturk", "prolific")

DEFAULT_INSTRUCTIONS = (
    "You will see a small, blocky input image and two enlarged versions of it, made by different methods. Pick the "
    "version that looks better to you (sharper, more natural, fewer artefacts). There are no wrong answers, except on "
    "a few check screens where one image is obviously blurred.\n\n"
    "Choose with the mouse, or press F or the left arrow for the left image and J or the right arrow for the right "
    "one. Please do not zoom the page."
)
DEFAULT_CONSENT = (
    "Your answers and response times are stored with a random id and the platform id you arrived with, and used for "
    "research only. You may stop at any time."
)

Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(max_length=500)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ethics(_Model):
    """The ethics board that approved the study and its reference."""

    board: Short = ""
    approval: Short = ""
    contact: Short = ""


class Researcher(_Model):
    """Who runs the study and how workers reach them."""

    name: Short = ""
    email: Short = ""
    institution: Short = ""


class Pay(_Model):
    """What a worker is paid for one completed assignment."""

    amount: Annotated[str, Field(pattern=r"^\d{1,4}(\.\d{1,2})?$")] = "1.00"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"


class SlotPolicy(_Model):
    """Slots are leases: claimed by a platform identity, they return to the pool ``time_limit_minutes`` after the
    claim unless the worker answered within the last ``active_grace_minutes``; finished slots never expire. A
    platform identity (MTurk worker, Prolific participant) gets at most ``per_worker`` slots per study."""

    time_limit_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 30.0
    active_grace_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 5.0
    per_worker: Annotated[int, Field(ge=1, le=1000)] = 1


class RateLimit(_Model):
    """At most ``starts_per_client`` study starts per client address and ``starts_per_identity`` per platform
    identity within any ``window_seconds`` (HTTP 429 beyond)."""

    window_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    starts_per_client: Annotated[int, Field(ge=1)] = 10
    starts_per_identity: Annotated[int, Field(ge=1)] = 3


class StudyDesign(_Model):
    """The researcher's study design (module docstring)."""

    version: Literal[1] = DESIGN_VERSION
    title: Short = "Which image looks better?"
    instructions: Text = DEFAULT_INSTRUCTIONS
    consent: Text = DEFAULT_CONSENT
    ethics: Ethics = Ethics()
    researcher: Researcher = Researcher()
    minutes: Annotated[int, Field(ge=1, le=600)] = 5
    pay: Pay = Pay()
    practice: bool = True
    platforms: Annotated[tuple[Platform, ...], Field(min_length=1)] = PRODUCTION_PLATFORMS
    slots: SlotPolicy = SlotPolicy()
    rate_limit: RateLimit = RateLimit()
    display: DisplayPolicy = DisplayPolicy()
    qc: QcPolicy = QcPolicy()

    @field_validator("platforms")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("each platform may be listed once")
        return v

    @property
    def production(self) -> bool:
        """True when anonymous ``web`` workers are refused (every worker arrives with a platform identity)."""
        return "web" not in self.platforms


def load_design(path: str | Path) -> StudyDesign:
    """Read and validate a study design file (``.yaml``/``.yml`` or ``.json``)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no such study spec; pass a YAML or JSON file (see `srbench study create --help`)")
    text = p.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = " ".join(str(exc).split())
        raise ConfigError(f"{p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'YAML'} ({line})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of study settings at the top level")
    return validated(StudyDesign, data, str(p))
