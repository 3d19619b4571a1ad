"""``srbench study ingest``: responses from the server database or an MTurk batch-results CSV -> one votes table.

Every source becomes the same tidy table (one row per answer), via :func:`tidy_votes`:

``worker_id, platform, external_id, slot, group, trial_id, position, kind, stimulus, method_a, method_b, left,
right, choice, winner, prefers_a, correct, repeat_of, rt_ms, source``

``winner`` is the label of the chosen image; ``prefers_a`` is 1 when it is ``method_a``; ``correct`` is set for
sentinels (1 when the sharp HR was chosen). The MTurk CSV is read from the ``Answer.votes`` column the study page
submits (a JSON list of ``[trial_id, choice, rt_ms]``) with ``WorkerId`` / ``AssignmentId``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import DataError
from srbench.study.db import read_db
from srbench.study.plan import SENTINEL, Plan
from srbench.study.spec import DB_FILE, PLAN_FILE

VOTE_COLUMNS = [
    "worker_id",
    "platform",
    "external_id",
    "slot",
    "group",
    "trial_id",
    "position",
    "kind",
    "stimulus",
    "method_a",
    "method_b",
    "left",
    "right",
    "choice",
    "winner",
    "prefers_a",
    "correct",
    "repeat_of",
    "rt_ms",
    "source",
]


def tidy_votes(plan: Plan, responses: pd.DataFrame, workers: pd.DataFrame | None, source: str) -> pd.DataFrame:
    """Join answers (``worker_id, trial_id, choice, rt_ms``) with the plan; unknown trial ids are refused."""
    by_id = plan.by_id()
    unknown = sorted(set(responses["trial_id"]) - set(by_id))
    if unknown:
        raise DataError(
            f"{source}: {len(unknown)} answers name trial ids not in plan.json (e.g. {unknown[0]}); "
            "ingest with the study folder the answers were collected for"
        )
    bad = sorted(set(responses["choice"]) - {"left", "right"})
    if bad:
        raise DataError(f"{source}: choices must be 'left' or 'right', found {bad[0]!r}")
    rows = []
    for r in responses.itertuples(index=False):
        t = by_id[str(r.trial_id)]
        winner = t.left if r.choice == "left" else t.right
        rows.append(
            {
                "worker_id": str(r.worker_id),
                "slot": t.slot,
                "group": t.group,
                "trial_id": t.trial_id,
                "position": t.position,
                "kind": t.kind,
                "stimulus": t.stimulus,
                "method_a": t.method_a,
                "method_b": t.method_b,
                "left": t.left,
                "right": t.right,
                "choice": r.choice,
                "winner": winner,
                "prefers_a": int(winner == t.method_a),
                "correct": float(r.choice == t.answer) if t.kind == SENTINEL else np.nan,
                "repeat_of": t.repeat_of,
                "rt_ms": float(r.rt_ms),
                "source": source,
            }
        )
    votes = pd.DataFrame(rows, columns=[c for c in VOTE_COLUMNS if c not in ("platform", "external_id")])
    info = pd.DataFrame({"worker_id": votes["worker_id"].unique()})
    if workers is not None and not workers.empty:
        info = info.merge(workers[["worker_id", "platform", "external_id"]], on="worker_id", how="left")
    for col in ("platform", "external_id"):
        if col not in info:
            info[col] = ""
    votes = votes.merge(info, on="worker_id", how="left")
    dupes = votes.duplicated(["worker_id", "trial_id"])
    if dupes.any():
        raise DataError(
            f"{source}: worker {votes.loc[dupes, 'worker_id'].iloc[0]} answered a trial twice; "
            "each (worker, trial) must appear once"
        )
    slots = votes.groupby("worker_id")["slot"].nunique()
    if (slots > 1).any():
        raise DataError(
            f"{source}: worker {slots[slots > 1].index[0]} has answers from several slots; the file "
            "does not match this plan"
        )
    return votes[VOTE_COLUMNS].sort_values(["worker_id", "position"]).reset_index(drop=True)


def votes_from_db(folder: str | Path) -> pd.DataFrame:
    """The votes stored by ``srbench study serve`` in ``<folder>/responses.sqlite``."""
    plan = Plan.load(Path(folder) / PLAN_FILE)
    resp, workers = read_db(Path(folder) / DB_FILE)
    return tidy_votes(plan, resp, workers, "db")


def votes_from_mturk(folder: str | Path, csv_path: str | Path) -> pd.DataFrame:
    """The votes in an MTurk batch-results CSV (``Answer.votes`` column), joined with the plan in ``folder``."""
    p = Path(csv_path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; pass the batch-results CSV downloaded from MTurk")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{p}: not a readable CSV ({exc}); download the batch results again") from None
    need = {"WorkerId", "AssignmentId", "Answer.votes"}
    missing = sorted(need - set(df.columns))
    if missing:
        raise DataError(
            f"{p}: missing columns {missing}; export the HITs with `srbench study export` so the "
            "answers carry Answer.votes"
        )
    if "AssignmentStatus" in df:
        df = df[df["AssignmentStatus"] != "Rejected"]
    rows = []
    workers = []
    for i, rec in enumerate(df.to_dict("records"), start=2):
        try:
            items = json.loads(rec["Answer.votes"])
        except json.JSONDecodeError:
            items = None
        if not isinstance(items, list):
            raise DataError(f"{p}: line {i}: Answer.votes is not a JSON list; check the HIT's form")
        wid = f"mturk:{rec['WorkerId']}"
        workers.append({"worker_id": wid, "platform": "mturk", "external_id": rec["WorkerId"]})
        for it in items:
            if not (isinstance(it, list) and len(it) == 3):
                raise DataError(f"{p}: line {i}: each vote must be [trial_id, choice, rt_ms]")
            rows.append({"worker_id": wid, "trial_id": str(it[0]), "choice": str(it[1]), "rt_ms": float(it[2])})
    plan = Plan.load(Path(folder) / PLAN_FILE)
    resp = pd.DataFrame(rows, columns=["worker_id", "trial_id", "choice", "rt_ms"])
    return tidy_votes(plan, resp, pd.DataFrame(workers).drop_duplicates("worker_id"), "mturk")


def write_votes(votes: pd.DataFrame, path: str | Path) -> Path:
    """Write the votes table as CSV, atomically."""
    with atomic_path(path) as tmp:
        votes.to_csv(tmp, index=False)
    return Path(path)


def read_votes(path: str | Path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no votes table; run `srbench study ingest` (or `simulate`) first")
    df = pd.read_csv(p, keep_default_na=False, na_values={"correct": [""], "rt_ms": [""]})
    missing = sorted(set(VOTE_COLUMNS) - set(df.columns))
    if missing:
        raise DataError(f"{p}: missing columns {missing}; pass a table written by `srbench study ingest`")
    return df
