"""``srbench study ingest``: responses from the server database or an MTurk batch-results CSV -> one votes table.

Every source becomes the same tidy table (one row per answer), via :func:`tidy_votes`:

``worker_id, platform, external_id, slot, group, trial_id, position, kind, stimulus, method_a, method_b, left,
right, choice, winner, prefers_a, correct, repeat_of, rt_ms, source``

``winner`` is the label of the chosen image; ``prefers_a`` is 1 when it is ``method_a``; ``correct`` is set for
sentinels (1 when the sharp HR was chosen).

The server's database is the truth. An MTurk batch-results CSV is *cross-checked* against it
(:func:`review_mturk`): each row's ``WorkerId`` + ``AssignmentId`` must name a session the server bound to that
assignment and saw finish; the votes come from the database, never from the browser-posted ``Answer.votes``
(which, like ``Answer.completion_code``, is only compared). Every row gets a verdict in the review table
(``approve`` and the ``problem``: a forged row from a worker the server never saw, an unfinished session, another
completion code, votes that differ, an assignment listed twice); one bad row never aborts the batch.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import DataError
from srbench.study.db import read_db
from srbench.study.plan import SENTINEL, Plan
from srbench.study.spec import DB_FILE, PLAN_FILE, load_spec

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


REVIEW_COLUMNS = [
    "line",
    "HITId",
    "AssignmentId",
    "WorkerId",
    "AssignmentStatus",
    "worker_id",
    "server_answers",
    "expected_answers",
    "csv_answers",
    "approve",
    "problem",
]


def _posted_votes(text: str) -> set[tuple[str, str]] | str:
    """The ``(trial_id, choice)`` pairs of an ``Answer.votes`` cell, or the reason it cannot be read."""
    try:
        items = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return "Answer.votes is not JSON"
    if not isinstance(items, list) or not all(isinstance(it, list) and len(it) == 3 for it in items):
        return "Answer.votes is not a list of [trial_id, choice, rt_ms]"
    return {(str(it[0]), str(it[1])) for it in items}


def review_mturk(folder: str | Path, csv_path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(votes, review)``: the database's votes of the assignments in an MTurk batch-results CSV that the server
    saw finish (rows not ``Rejected``), and one review row per CSV row (module docstring; ``REVIEW_COLUMNS``)."""
    p = Path(csv_path)
    if not p.is_file():
        raise DataError(f"{p}: no such file; pass the batch-results CSV downloaded from MTurk")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{p}: not a readable CSV ({' '.join(str(exc).split())}); download the batch results again"
        ) from None
    missing = sorted({"WorkerId", "AssignmentId"} - set(df.columns))
    if missing:
        raise DataError(f"{p}: missing columns {missing}; pass the batch-results CSV downloaded from MTurk")
    spec = load_spec(folder)
    plan = Plan.load(Path(folder) / PLAN_FILE)
    resp, workers = read_db(Path(folder) / DB_FILE)
    mt = workers[workers["platform"] == "mturk"].set_index(["external_id", "assignment_id"])
    answers = resp.groupby("worker_id")
    by_worker = {wid: g for wid, g in answers}
    seen: set[tuple[str, str]] = set()
    rows: list[dict[str, Any]] = []
    keep: list[tuple[str, str]] = []
    for line, rec in enumerate(df.to_dict("records"), start=2):
        key = (str(rec["WorkerId"]), str(rec["AssignmentId"]))
        row: dict[str, Any] = {
            c: str(rec.get(c, "")) for c in ("HITId", "AssignmentId", "WorkerId", "AssignmentStatus")
        }
        row |= {"line": line, "worker_id": "", "server_answers": 0, "expected_answers": 0, "csv_answers": None}
        problems = []
        if key in seen:
            problems.append("assignment listed twice in the file")
        seen.add(key)
        if key not in mt.index:
            problems.append("the server never saw this worker and assignment (forged, or another study's row)")
        else:
            w = mt.loc[[key]].iloc[0]
            mine = by_worker.get(w["worker_id"], resp.iloc[:0])
            expected = len(plan.slots[int(w["slot_id"])])
            row |= {"worker_id": w["worker_id"], "server_answers": len(mine), "expected_answers": expected}
            if pd.isna(w["finished_at"]):
                problems.append(f"not finished on the server ({len(mine)}/{expected} answers)")
            elif row["AssignmentStatus"] != "Rejected" and key not in keep:
                keep.append(key)
            code = rec.get("Answer.completion_code")
            if code is not None and code != spec.completion_code:
                problems.append(f"completion code {code[:20]!r} is not the study's")
            if "Answer.votes" in rec:
                posted = _posted_votes(rec["Answer.votes"])
                if isinstance(posted, str):
                    problems.append(posted)
                else:
                    row["csv_answers"] = len(posted)
                    server = set(zip(mine["trial_id"], mine["choice"], strict=True))
                    if posted != server:
                        problems.append(f"Answer.votes differ from the server's ({len(posted ^ server)} answers)")
        rows.append(row | {"approve": not problems, "problem": "; ".join(problems)})
    review = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    ids = {mt.loc[[k]].iloc[0]["worker_id"] for k in keep}
    votes = tidy_votes(plan, resp[resp["worker_id"].isin(ids)], workers, "db")
    return votes, review


def votes_from_mturk(folder: str | Path, csv_path: str | Path) -> pd.DataFrame:
    """The database's votes of the assignments in an MTurk batch-results CSV (see :func:`review_mturk`)."""
    return review_mturk(folder, csv_path)[0]


def participants(folder: str | Path) -> pd.DataFrame:
    """Every worker the server saw, with their platform ids, answers and state: the approval list for Prolific
    (``PROLIFIC_PID`` = ``external_id``, ``SESSION_ID`` = ``session_id``) or MTurk (``assignment_id``)."""
    plan = Plan.load(Path(folder) / PLAN_FILE)
    resp, workers = read_db(Path(folder) / DB_FILE)
    n = resp.groupby("worker_id").size()
    out = workers[
        ["platform", "external_id", "assignment_id", "hit_id", "study_id", "session_id", "worker_id", "slot_id"]
    ].copy()
    out["answers"] = out["worker_id"].map(n).fillna(0).astype(int)
    out["expected_answers"] = [len(plan.slots[int(s)]) for s in out["slot_id"]]
    out["finished"] = workers["finished_at"].notna()
    out["released"] = workers["released_at"].notna()
    return out.sort_values(["platform", "external_id", "assignment_id"]).reset_index(drop=True)


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
