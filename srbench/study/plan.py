"""The seeded trial plan: which worker slot sees which pair, in which order and on which side.

Construction (all draws from one ``numpy.random.default_rng(seed)``):

1. comparisons = every stimulus (image or crop) x every unordered method pair, shuffled;
2. they are split into ``ceil(C / trials_per_worker)`` near-equal *groups* (one MTurk HIT each); every group is
   answered by ``workers_per_pair`` *slots* (replicates), so each comparison gets exactly N workers;
3. sides: comparison ``i`` of a group shows method A on the left in replicate ``r`` iff ``b_i + r`` is even,
   with ``b`` a random permutation of balanced bits (0, 1, 0, 1, ...): over its N replicates a comparison is
   left/right balanced to within one, and so is every slot;
4. per slot, ``sentinels_per_worker`` sentinel trials (HR against a heavily blurred copy; correct side alternates)
   join the comparisons, the order is shuffled per slot, and ``repeats_per_worker`` comparisons are shown again
   later with the sides swapped (agreement check), with at least ``min_repeat_gap`` other trials between the
   original and its repeat (never adjacent); only comparisons early enough to allow that gap are repeated, so a
   short sequence gets fewer repeats rather than a closer one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from srbench.atomic import atomic_path
from srbench.errors import DataError

PAIR, SENTINEL, REPEAT = "pair", "sentinel", "repeat"
HR_LABEL, BLUR_LABEL = "@hr", "@blurred"


@dataclass(frozen=True)
class Trial:
    """One screen: the reference of ``stimulus`` and two images, ``left`` and ``right`` (method labels).

    ``method_a``/``method_b`` are the pair in spec order (``a`` listed first); for sentinels they are ``@hr`` and
    ``@blurred`` and ``answer`` is the correct side. ``repeat_of`` names the trial a repeat copies.
    """

    trial_id: str
    slot: int
    group: int
    position: int
    kind: str
    stimulus: str
    method_a: str
    method_b: str
    left: str
    right: str
    answer: str = ""
    repeat_of: str = ""

    def comparison_id(self) -> str:
        return f"{self.stimulus}|{self.method_a}|{self.method_b}"


@dataclass
class Plan:
    """All trials by slot; ``images`` maps stimulus -> label (method, ``ref``, ``@hr``, ``@blurred``) -> path and
    ``windows`` stimulus -> ``{"image": id, "y": top, "x": left, "h": height, "w": width}`` in HR pixels;
    ``practice`` the practice screen's image paths (``ref``, ``left``, ``right``) and its ``answer`` side."""

    seed: int
    workers_per_pair: int
    slots: list[list[Trial]]
    images: dict[str, dict[str, str]] = field(default_factory=dict)
    windows: dict[str, dict[str, Any]] = field(default_factory=dict)
    practice: dict[str, str] = field(default_factory=dict)

    @property
    def n_slots(self) -> int:
        return len(self.slots)

    def slot_group(self, slot: int) -> int:
        return self.slots[slot][0].group

    @property
    def n_groups(self) -> int:
        return len({s[0].group for s in self.slots})

    def trials(self) -> list[Trial]:
        return [t for s in self.slots for t in s]

    def by_id(self) -> dict[str, Trial]:
        return {t.trial_id: t for t in self.trials()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "workers_per_pair": self.workers_per_pair,
            "images": self.images,
            "windows": self.windows,
            "practice": self.practice,
            "slots": [[asdict(t) for t in s] for s in self.slots],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        return cls(
            int(d["seed"]),
            int(d["workers_per_pair"]),
            [[Trial(**t) for t in s] for s in d["slots"]],
            {k: dict(v) for k, v in d.get("images", {}).items()},
            {k: dict(v) for k, v in d.get("windows", {}).items()},
            dict(d.get("practice", {})),
        )

    def save(self, path: Path) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Plan:
        if not Path(path).is_file():
            raise DataError(f"{path}: no trial plan; pass a folder made by `srbench study create`")
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: corrupt trial plan ({exc}); re-create the study") from None


def _trial_id(seed: int, slot: int, position: int) -> str:
    """Opaque id: positions are not guessable from it (the server still checks ownership)."""
    return hashlib.sha256(f"{seed}:{slot}:{position}".encode()).hexdigest()[:16]


def make_plan(
    stimuli: Sequence[str],
    labels: Sequence[str],
    *,
    workers_per_pair: int = 5,
    trials_per_worker: int = 20,
    sentinels_per_worker: int = 2,
    repeats_per_worker: int = 2,
    seed: int = 0,
    min_repeat_gap: int = 3,
) -> Plan:
    """Build the plan described in the module docstring."""
    if len(labels) < 2 or not stimuli:
        raise ValueError("a plan needs at least one stimulus and two methods")
    if min_repeat_gap < 1:
        raise ValueError("min_repeat_gap must be >= 1 (a repeat is never adjacent to its original)")
    rng = np.random.default_rng(seed)
    comparisons = [(s, a, b) for s in stimuli for a, b in itertools.combinations(labels, 2)]
    order = rng.permutation(len(comparisons))
    comparisons = [comparisons[i] for i in order]
    n_groups = -(-len(comparisons) // trials_per_worker)
    groups = [list(g) for g in np.array_split(np.arange(len(comparisons)), n_groups)]
    slots: list[list[Trial]] = []
    for g, members in enumerate(groups):
        bits = rng.permutation(np.arange(len(members)) % 2)  # balanced random bits
        for r in range(workers_per_pair):
            slot = len(slots)
            items: list[dict[str, Any]] = []
            for i, ci in enumerate(members):
                s, a, b = comparisons[ci]
                a_left = (int(bits[i]) + r) % 2 == 0
                items.append(
                    {"kind": PAIR, "stimulus": s, "method_a": a, "method_b": b}
                    | ({"left": a, "right": b} if a_left else {"left": b, "right": a})
                )
            for k in range(sentinels_per_worker):
                s = stimuli[int(rng.integers(len(stimuli)))]
                hr_left = (k + r) % 2 == 0
                items.append(
                    {"kind": SENTINEL, "stimulus": s, "method_a": HR_LABEL, "method_b": BLUR_LABEL}
                    | (
                        {"left": HR_LABEL, "right": BLUR_LABEL, "answer": "left"}
                        if hr_left
                        else {"left": BLUR_LABEL, "right": HR_LABEL, "answer": "right"}
                    )
                )
            seq = [items[i] for i in rng.permutation(len(items))]
            # an original at i needs i + gap + 1 <= len(seq) for its repeat to land gap trials later
            pair_pos = [i for i, it in enumerate(seq) if it["kind"] == PAIR and i + min_repeat_gap < len(seq)]
            n_rep = min(repeats_per_worker, len(pair_pos))
            originals = sorted(rng.choice(pair_pos, size=n_rep, replace=False).tolist()) if n_rep else []
            tagged: list[dict[str, Any]] = [dict(it, _key=i) for i, it in enumerate(seq)]
            for orig in originals:
                src = seq[orig]
                where = next(i for i, it in enumerate(tagged) if it["_key"] == orig)
                at = int(rng.integers(where + min_repeat_gap + 1, len(tagged) + 1))
                rep = dict(src, kind=REPEAT, left=src["right"], right=src["left"], _key=-1, _orig=orig)
                tagged.insert(at, rep)
            ids = {}
            trials: list[Trial] = []
            for pos, it in enumerate(tagged):
                tid = _trial_id(seed, slot, pos)
                if it["_key"] >= 0:
                    ids[it["_key"]] = tid
                trials.append(
                    Trial(
                        trial_id=tid,
                        slot=slot,
                        group=g,
                        position=pos,
                        kind=it["kind"],
                        stimulus=it["stimulus"],
                        method_a=it["method_a"],
                        method_b=it["method_b"],
                        left=it["left"],
                        right=it["right"],
                        answer=it.get("answer", ""),
                        repeat_of=str(it.get("_orig", "")),
                    )
                )
            # repeats point at their original's trial id
            trials = [
                Trial(**(asdict(t) | {"repeat_of": ids[int(t.repeat_of)]})) if t.kind == REPEAT else t for t in trials
            ]
            slots.append(trials)
    return Plan(seed, workers_per_pair, slots)
