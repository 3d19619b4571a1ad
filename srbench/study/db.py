"""The response store: SQLite in WAL mode, one row per (worker, trial), committed before the next trial is served.

Tables: ``slots`` (plan slots and the worker holding each), ``workers`` (opaque id, the sha256 of their session
token, platform ids, consent/start/finish times) and ``responses`` with ``UNIQUE(worker_id, trial_id)``, so a
replayed submission can never be stored twice. ``synchronous=FULL``: every commit is on disk before the server
answers, so a crash (even ``kill -9``) loses nothing that was acknowledged. One connection guarded by a lock
serialises writers (SQLite has one writer at a time anyway).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from srbench.errors import DataError
from srbench.study.plan import Plan, Trial

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS slots (
    slot_id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, replicate INTEGER NOT NULL, worker_id TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    external_id TEXT NOT NULL,
    assignment_id TEXT NOT NULL DEFAULT '',
    hit_id TEXT NOT NULL DEFAULT '',
    study_id TEXT NOT NULL DEFAULT '',
    session_id TEXT NOT NULL DEFAULT '',
    slot_id INTEGER NOT NULL REFERENCES slots(slot_id),
    pixel_ratio REAL,
    consent_at REAL NOT NULL,
    finished_at REAL,
    UNIQUE (platform, external_id)
);
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    worker_id TEXT NOT NULL REFERENCES workers(worker_id),
    trial_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    choice TEXT NOT NULL CHECK (choice IN ('left', 'right')),
    rt_ms REAL NOT NULL,
    received_at REAL NOT NULL,
    UNIQUE (worker_id, trial_id)
);
"""


@dataclass(frozen=True)
class Worker:
    worker_id: str
    slot_id: int
    platform: str
    external_id: str
    assignment_id: str
    finished: bool


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StudyFull(Exception):
    """No free slot is left (in the requested group)."""


class AlreadyStarted(Exception):
    """This platform id already holds a slot and the request did not carry its session token."""


class StudyDB:
    """See the module docstring. ``plan`` fixes the slots; reopening with another plan is refused."""

    def __init__(self, path: str | Path, plan: Plan, plan_sha256: str) -> None:
        self.path = Path(path)
        self.plan = plan
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._con.row_factory = sqlite3.Row
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.execute("PRAGMA foreign_keys=ON")
        with self._lock, self._tx():
            for stmt in _statements():
                self._con.execute(stmt)
            row = self._con.execute("SELECT value FROM meta WHERE key='plan_sha256'").fetchone()
            if row is None:
                self._con.execute("INSERT INTO meta VALUES ('plan_sha256', ?)", (plan_sha256,))
                n = plan.workers_per_pair
                self._con.executemany(
                    "INSERT INTO slots (slot_id, grp, replicate) VALUES (?, ?, ?)",
                    [(s, plan.slot_group(s), s % n) for s in range(plan.n_slots)],
                )
            elif row["value"] != plan_sha256:
                raise DataError(f"{self.path}: responses belong to a different plan.json; restore the study's plan")

    def _tx(self) -> _Tx:
        return _Tx(self._con)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # --- workers --------------------------------------------------------------------------------------------

    def start(
        self,
        platform: str,
        external_id: str,
        *,
        group: int | None = None,
        token: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[Worker, str, bool]:
        """Give a new worker a free slot (or resume one with its token); returns ``(worker, token, resumed)``."""
        extra = extra or {}
        with self._lock, self._tx():
            if token:
                w = self._by_token(token)
                if w is not None:
                    return w, token, True
            if external_id:
                row = self._con.execute(
                    "SELECT worker_id FROM workers WHERE platform=? AND external_id=?", (platform, external_id)
                ).fetchone()
                if row is not None:
                    raise AlreadyStarted(external_id)
            q = "SELECT slot_id FROM slots WHERE worker_id IS NULL" + (" AND grp=?" if group is not None else "")
            q += " ORDER BY replicate, grp LIMIT 1"
            row = self._con.execute(q, (group,) if group is not None else ()).fetchone()
            if row is None:
                raise StudyFull()
            worker_id = secrets.token_hex(8)
            token = secrets.token_urlsafe(24)
            self._con.execute(
                "INSERT INTO workers (worker_id, token_sha256, platform, external_id, assignment_id, hit_id, study_id,"
                " session_id, slot_id, pixel_ratio, consent_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    worker_id,
                    _sha(token),
                    platform,
                    external_id or worker_id,
                    str(extra.get("assignment_id", "")),
                    str(extra.get("hit_id", "")),
                    str(extra.get("study_id", "")),
                    str(extra.get("session_id", "")),
                    row["slot_id"],
                    extra.get("pixel_ratio"),
                    time.time(),
                ),
            )
            self._con.execute("UPDATE slots SET worker_id=? WHERE slot_id=?", (worker_id, row["slot_id"]))
            w = self._by_token(token)
            assert w is not None
            return w, token, False

    def _by_token(self, token: str) -> Worker | None:
        row = self._con.execute(
            "SELECT worker_id, slot_id, platform, external_id, assignment_id, finished_at FROM workers"
            " WHERE token_sha256=?",
            (_sha(token),),
        ).fetchone()
        if row is None:
            return None
        return Worker(
            row["worker_id"],
            row["slot_id"],
            row["platform"],
            row["external_id"],
            row["assignment_id"],
            row["finished_at"] is not None,
        )

    def worker(self, token: str) -> Worker | None:
        with self._lock:
            return self._by_token(token)

    # --- responses ------------------------------------------------------------------------------------------

    def answered(self, worker_id: str) -> int:
        with self._lock:
            return int(
                self._con.execute("SELECT COUNT(*) FROM responses WHERE worker_id=?", (worker_id,)).fetchone()[0]
            )

    def record(self, worker: Worker, trial: Trial, choice: str, rt_ms: float) -> str:
        """Store one answer: ``'stored'``, ``'duplicate'`` (same answer again), ``'conflict'`` (a different answer
        to an answered trial) or ``'out-of-order'`` (not the worker's next trial). Only ``'stored'`` writes."""
        with self._lock, self._tx():
            prev = self._con.execute(
                "SELECT choice FROM responses WHERE worker_id=? AND trial_id=?", (worker.worker_id, trial.trial_id)
            ).fetchone()
            if prev is not None:
                return "duplicate" if prev["choice"] == choice else "conflict"
            n = self._con.execute("SELECT COUNT(*) FROM responses WHERE worker_id=?", (worker.worker_id,)).fetchone()
            if int(n[0]) != trial.position:
                return "out-of-order"
            self._con.execute(
                "INSERT INTO responses (worker_id, trial_id, position, choice, rt_ms, received_at)"
                " VALUES (?,?,?,?,?,?)",
                (worker.worker_id, trial.trial_id, trial.position, choice, float(rt_ms), time.time()),
            )
            if trial.position == len(self.plan.slots[worker.slot_id]) - 1:
                self._con.execute("UPDATE workers SET finished_at=? WHERE worker_id=?", (time.time(), worker.worker_id))
            return "stored"

    def worker_responses(self, worker_id: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._con.execute(
                "SELECT trial_id, choice, rt_ms FROM responses WHERE worker_id=? ORDER BY position", (worker_id,)
            ).fetchall()
        return [dict(r) for r in rows]

    def progress(self) -> dict[str, int]:
        with self._lock:
            c = self._con
            return {
                "slots": int(c.execute("SELECT COUNT(*) FROM slots").fetchone()[0]),
                "workers": int(c.execute("SELECT COUNT(*) FROM workers").fetchone()[0]),
                "finished": int(c.execute("SELECT COUNT(*) FROM workers WHERE finished_at IS NOT NULL").fetchone()[0]),
                "responses": int(c.execute("SELECT COUNT(*) FROM responses").fetchone()[0]),
            }

    def dump(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(responses, workers)`` tables, for ingest."""
        with self._lock:
            resp = pd.read_sql_query("SELECT * FROM responses ORDER BY id", self._con)
            workers = pd.read_sql_query("SELECT * FROM workers", self._con).drop(columns=["token_sha256"])
        return resp, workers


def _statements() -> list[str]:
    return [s.strip() for s in SCHEMA.split(";") if s.strip()]


class _Tx:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on an exception)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> None:
        self.con.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.con.execute("COMMIT" if exc_type is None else "ROLLBACK")


def read_db(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``(responses, workers)`` from a study database without opening it for writing through the plan."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: no study database; serve the study first or pass the right folder")
    con = sqlite3.connect(p)
    try:
        resp = pd.read_sql_query("SELECT * FROM responses ORDER BY id", con)
        workers = pd.read_sql_query("SELECT * FROM workers", con).drop(columns=["token_sha256"])
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        raise DataError(f"{p}: not a study database ({exc}); pass the responses.sqlite of a study") from None
    finally:
        con.close()
    return resp, workers
