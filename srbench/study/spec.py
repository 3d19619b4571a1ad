"""The versioned study spec (``study.json``): every choice of a study, written before any data is collected.

The spec records the dataset, scale, protocol, methods, how images are cut (full images or seeded crops), the
trial plan parameters (workers per pair, sentinels, repeats, seed) and the researcher's validated study design
(:class:`~srbench.study.design.StudyDesign`: texts, ethics, pay, platforms, slot policy, the display protocol
:class:`~srbench.study.display.DisplayPolicy` and the quality-control exclusion rules
:class:`~srbench.study.qc.QcPolicy`), so the analysis applies rules declared before data collection
(pre-registration style) and the results carry the texts workers saw.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from srbench.atomic import atomic_path
from srbench.errors import ConfigError, DataError
from srbench.study.design import StudyDesign, validated
from srbench.study.display import DisplayPolicy
from srbench.study.qc import QcPolicy

SPEC_VERSION = 2
SPEC_FILE = "study.json"
PLAN_FILE = "plan.json"
IMAGES_DIR = "images"
DB_FILE = "responses.sqlite"


QCRules = QcPolicy  # the name before issue 13: srbench.study.qc.QcPolicy


@dataclass(frozen=True)
class StudySpec:
    """A study: what is shown, to how many workers, with which checks (see the module docstring).

    ``methods`` are method specs as :func:`srbench.methods.resolve_method` takes them (``bicubic``,
    ``sr-dir:PATH``, a ``.safetensors`` file); ``labels`` are their short names in tables.
    ``crop = 0`` shows full images; otherwise ``crops_per_image`` seeded ``crop x crop`` HR windows per image.
    """

    name: str
    dataset: str
    scale: int
    methods: tuple[str, ...]
    labels: tuple[str, ...]
    protocol: dict[str, Any]
    images: tuple[str, ...] = ()
    crop: int = 0
    crops_per_image: int = 1
    workers_per_pair: int = 5
    trials_per_worker: int = 20
    sentinels_per_worker: int = 4
    repeats_per_worker: int = 2
    sentinel_blur_sigma: float = 4.0
    seed: int = 0
    completion_code: str = ""
    design: StudyDesign = field(default_factory=StudyDesign)
    version: int = SPEC_VERSION
    srbench_version: str = ""
    created: str = ""

    def __post_init__(self) -> None:
        if len(self.methods) < 2:
            raise ConfigError("a study needs at least two methods; pass --method twice (or --sr-dir)")
        if len(set(self.labels)) != len(self.labels) or len(self.labels) != len(self.methods):
            raise ConfigError(f"method labels {list(self.labels)} must be unique, one per method; pass --label")
        if self.workers_per_pair < 1 or self.trials_per_worker < 1:
            raise ConfigError("--workers-per-pair and --trials-per-worker must be >= 1")
        if self.sentinels_per_worker < 0 or self.repeats_per_worker < 0:
            raise ConfigError("--sentinels and --repeats must be >= 0")
        if self.crop < 0 or self.crops_per_image < 1:
            raise ConfigError("--crop must be >= 0 (0: full images) and --crops-per-image >= 1")
        if self.crop and self.crop % self.scale:
            raise ConfigError(f"--crop {self.crop} must be a multiple of the scale {self.scale}")

    @property
    def qc(self) -> QcPolicy:
        """The declared exclusion rules (``design.qc``)."""
        return self.design.qc

    @property
    def display(self) -> DisplayPolicy:
        """The display policy (``design.display``)."""
        return self.design.display

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["design"] = self.design.model_dump(mode="json")
        for k in ("methods", "labels", "images"):
            d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StudySpec:
        d = dict(d)
        version = d.get("version")
        if version != SPEC_VERSION:
            raise ConfigError(
                f"study spec version {version!r} is not supported (this srbench reads {SPEC_VERSION}); "
                "re-create the study with this srbench"
            )
        d["design"] = validated(StudyDesign, d.get("design", {}), f"{SPEC_FILE} design")
        for k in ("methods", "labels", "images"):
            d[k] = tuple(d.get(k, ()))
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ConfigError(f"study spec has unknown fields {unknown}; was it written by a newer srbench?")
        return cls(**d)

    def save(self, folder: Path) -> Path:
        path = Path(folder) / SPEC_FILE
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return path


def load_spec(folder: str | Path) -> StudySpec:
    """Read ``<folder>/study.json``; a one-line ``DataError`` if it is missing or unreadable."""
    path = Path(folder) / SPEC_FILE
    if not path.is_file():
        raise DataError(f"{path}: no study spec; pass a folder made by `srbench study create`")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); re-create the study") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a JSON object; re-create the study")
    return StudySpec.from_dict(data)
