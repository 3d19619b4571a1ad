"""What an evaluation is asked to do: :class:`EvalRequest`, the argument of :func:`srbench.evaluate.evaluate`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

from srbench.data.datasets import Dataset
from srbench.errors import ConfigError
from srbench.methods.base import Method
from srbench.metrics import METRICS
from srbench.protocol.record import Protocol
from srbench.results.store import ResultStore

if TYPE_CHECKING:  # torch is imported only to check a device other than "cpu" (the lean path runs without it)
    import torch

SCALES = (2, 3, 4, 8)
"""The scales every protocol and method supports."""

DEFAULT_METRICS = ("psnr", "ssim", "fsim", "vif")
"""The metrics of an evaluation that names none."""

ProgressFn = Callable[[str, int], Callable[[int], None]]
"""Progress display: ``(description, total) -> advance(n)``, called once per computed group."""


def no_progress(description: str, total: int) -> Callable[[int], None]:
    """The :data:`ProgressFn` that shows nothing."""
    return lambda n: None


def check_scale(scale: int) -> None:
    """A one-line :class:`ConfigError` unless ``scale`` is one of :data:`SCALES`."""
    if scale not in SCALES:
        raise ConfigError(f"scale {scale} is not supported; use one of {', '.join(map(str, SCALES))}")


@dataclass(frozen=True)
class EvalRequest:
    """What :func:`srbench.evaluate.evaluate` scores, how, and where the rows go.

    The first six fields may be given by position, the others by name. Sequences are kept as tuples. Invalid
    values (no dataset, method, scale or metric; an unsupported scale; an unknown metric; a non-positive batch,
    thread or worker count; an unknown device) raise a one-line :class:`srbench.errors.ConfigError` here, before
    any work.
    """

    datasets: Sequence[Dataset]
    """The datasets, from :func:`srbench.data.datasets.resolve_dataset` (catalogued sets or folders of HR images)."""

    methods: Sequence[Method]
    """The SR methods, from :func:`srbench.methods.resolve_method` (or any :class:`srbench.methods.base.Method`)."""

    scales: Sequence[int] = (4,)
    """Upscaling factors, each one of :data:`SCALES`."""

    metrics: Sequence[str] = DEFAULT_METRICS
    """Registered metric names (``srbench metrics``)."""

    protocol: Protocol = field(default_factory=Protocol)
    """The protocol record (degradation, luminance, shave, ...); default ``standard``."""

    device: torch.device | str = "cpu"
    """Where methods and metrics run: a ``torch.device`` or its name; use :func:`srbench.device.resolve_device`
    for ``auto``."""

    _: KW_ONLY

    output: str | os.PathLike[str] | None = None
    """CSV file of per-image rows: every finished group is written to it atomically, and reused on the next run."""

    store: ResultStore | None = None
    """A :class:`srbench.results.store.ResultStore`: finished groups are added to it (atomically, deduplicated by
    key) and groups already stored are reused."""

    lr_dir: str | None = None
    """Folder of given LR images (``{dataset}`` and ``{scale}`` are substituted) instead of the protocol's
    degradation, which then becomes ``given``."""

    save_sr: str | os.PathLike[str] | None = None
    """Folder that keeps the scored SR images as 8-bit PNG, ``<save_sr>/<method>/<dataset>/x<scale>/``
    (:mod:`srbench.evaluate.save_sr`); a group is reused from the output or the store only if its folder is
    complete."""

    batch: int = 8
    """Images per method call (and per metric call), at least 1."""

    threads: int | None = 1
    """torch intra-op threads while evaluating on the CPU (restored afterwards); ``None`` keeps torch's setting.

    The default is 1 because metrics and resizing run image by image on tensors of ~0.15 MP, where intra-op
    threading gains little and, on a busy 2-core machine, was measured to cost up to 2x
    (``benchmarks/bench_eval.py`` with ``OMP_NUM_THREADS=1`` vs default; timings were noisy)."""

    workers: int | None = None
    """Threads working on different image groups at once (method stage and metrics); ``None``:
    :func:`srbench.evaluate.workers.default_workers` (the CPU cores, at most 4, on the CPU; 1 on a GPU). No value
    depends on it."""

    def __post_init__(self) -> None:
        for name in ("datasets", "methods", "scales", "metrics"):
            value = tuple(getattr(self, name))
            if not value:
                raise ConfigError(f"no {name} to evaluate; name at least one")
            object.__setattr__(self, name, value)
        for s in self.scales:
            check_scale(s)
        for m in self.metrics:
            METRICS.get(m)  # an unknown name fails before any work
        for name in ("batch", "threads", "workers"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be at least 1, not {value}")
        if self.device != "cpu":  # "cpu" is valid without importing torch (the lean path runs without it)
            import torch

            try:
                torch.device(self.device)
            except (RuntimeError, TypeError):
                raise ConfigError(f"unknown device {self.device!r}; use cpu, cuda or cuda:N") from None
