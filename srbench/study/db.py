"""The response store: SQLite in WAL mode, one row per (worker, trial), committed before the next trial is served.

Tables: ``slots`` (plan slots, the worker holding each and the lease: claimed/expires times), ``workers`` (opaque
id, the sha256 of their session token, platform ids, consent/finish/release times) and ``responses`` with
``UNIQUE(worker_id, trial_id)``, so a replayed submission can never be stored twice. ``synchronous=FULL``: every
commit is on disk before the server answers, so a crash (even ``kill -9``) loses nothing that was acknowledged. One
connection guarded by a lock serialises writers (SQLite has one writer at a time anyway).

Slots are leases (:class:`Lease`): a claim holds a slot until ``time_limit_s`` after it, extended to ``grace_s``
after each answer; an expired slot goes to the next worker who starts (the previous holder then gets
:class:`LeaseLost`; their answers stay in ``responses``, marked by ``workers.released_at``), and
:meth:`StudyDB.release` frees one by hand. The database is the truth about who answered what.
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
from srbench.study.identity import Identity
from srbench.study.plan import Plan, Trial

SCHEMA_VERSION = "2"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS slots (
    slot_id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, replicate INTEGER NOT NULL, worker_id TEXT UNIQUE,
    claimed_at REAL, expires_at REAL
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
    released_at REAL
);
CREATE INDEX IF NOT EXISTS workers_by_platform_id ON workers (platform, external_id);
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
    session_id: str = ""


@dataclass(frozen=True)
class Lease:
    """How long slots are held: ``time_limit_s`` after the claim, or ``grace_s`` after the last answer, whichever
    is later (see :class:`srbench.study.design.SlotPolicy`); ``per_worker`` slots per platform identity."""

    time_limit_s: float = 1800.0
    grace_s: float = 300.0
    per_worker: int = 1


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StudyFull(Exception):
    """No free slot is left (in the requested group)."""


class AlreadyStarted(Exception):
    """This platform session already holds a slot and the request did not carry its session token."""


class AlreadyTookPart(Exception):
    """This platform identity already holds as many slots as the study allows (or one in the same group)."""


class LeaseLost(Exception):
    """The worker's slot expired or was released and another worker holds it now."""


class StudyDB:
    """See the module docstring. ``plan`` fixes the slots; reopening with another plan is refused."""

    def __init__(self, path: str | Path, plan: Plan, plan_sha256: str, lease: Lease | None = None) -> None:
        self.path = Path(path)
        self.plan = plan
        self.lease = lease or Lease()
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._con.row_factory = sqlite3.Row
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        self._con.execute("PRAGMA foreign_keys=ON")
        with self._lock, self._tx():
            fresh = self._con.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone() is None
            for stmt in _statements():
                self._con.execute(stmt)
            row = self._con.execute("SELECT value FROM meta WHERE key='plan_sha256'").fetchone()
            schema = self._con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None and fresh:
                self._con.execute("INSERT INTO meta VALUES ('plan_sha256', ?)", (plan_sha256,))
                self._con.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                n = plan.workers_per_pair
                self._con.executemany(
                    "INSERT INTO slots (slot_id, grp, replicate) VALUES (?, ?, ?)",
                    [(s, plan.slot_group(s), s % n) for s in range(plan.n_slots)],
                )
            elif schema is None or schema["value"] != SCHEMA_VERSION:
                raise DataError(
                    f"{self.path}: written by another srbench version (schema {schema and schema['value']}); "
                    "serve it with that version, or start a new study folder"
                )
            elif row is None or row["value"] != plan_sha256:
                raise DataError(f"{self.path}: responses belong to a different plan.json; restore the study's plan")

    def _tx(self) -> _Tx:
        return _Tx(self._con)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    # --- workers and slot leases ----------------------------------------------------------------------------

    def start(
        self,
        ident: Identity,
        *,
        group: int | None = None,
        token: str | None = None,
        pixel_ratio: float | None = None,
        now: float | None = None,
    ) -> tuple[Worker, str, bool]:
        """Claim a free slot for ``ident`` (or resume the session ``token`` names, if it belongs to the same
        platform identity and session); returns ``(worker, token, resumed)``.

        Raises :class:`AlreadyStarted` (this platform session holds a slot: continue in its browser),
        :class:`AlreadyTookPart` (the identity has its ``per_worker`` slots, or one in ``group``),
        :class:`LeaseLost` (the token's slot went to another worker) or :class:`StudyFull`.
        """
        now = time.time() if now is None else now
        with self._lock, self._tx():
            if token:
                w = self._by_token(token)
                if w is not None and self._same(w, ident):
                    if not self._holds(w):
                        raise LeaseLost(w.worker_id)
                    return w, token, True
                # a saved session of another identity (second HIT, other person): never resumed
            if not ident.anonymous:
                rows = self._con.execute(
                    "SELECT w.assignment_id, w.session_id, s.grp FROM workers w JOIN slots s USING (slot_id)"
                    " WHERE w.platform=? AND w.external_id=?",
                    (ident.platform, ident.external_id),
                ).fetchall()
                sessions = {r["assignment_id"] if ident.platform == "mturk" else r["session_id"] for r in rows}
                if ident.session in sessions:
                    raise AlreadyStarted(ident.external_id)
                taken = sorted({int(r["grp"]) for r in rows})
                if len(rows) >= self.lease.per_worker or group in taken:
                    raise AlreadyTookPart(ident.external_id)
            else:
                taken = []
            q = "SELECT slot_id, worker_id FROM slots WHERE (worker_id IS NULL OR expires_at < ?)"
            args: list[Any] = [now]
            if group is not None:
                q += " AND grp=?"
                args.append(group)
            if taken:  # never two slots of one group (the same trials) for one worker
                q += f" AND grp NOT IN ({','.join('?' * len(taken))})"
                args += taken
            q += " ORDER BY worker_id IS NOT NULL, replicate, grp LIMIT 1"
            row = self._con.execute(q, args).fetchone()
            if row is None:
                raise StudyFull()
            if row["worker_id"] is not None:  # an expired lease returns to the pool
                self._con.execute("UPDATE workers SET released_at=? WHERE worker_id=?", (now, row["worker_id"]))
            worker_id = secrets.token_hex(8)
            token = secrets.token_urlsafe(24)
            self._con.execute(
                "INSERT INTO workers (worker_id, token_sha256, platform, external_id, assignment_id, hit_id, study_id,"
                " session_id, slot_id, pixel_ratio, consent_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    worker_id,
                    _sha(token),
                    ident.platform,
                    ident.external_id or worker_id,
                    ident.session if ident.platform == "mturk" else "",
                    ident.hit_id,
                    ident.study_id,
                    ident.session if ident.platform == "prolific" else "",
                    row["slot_id"],
                    pixel_ratio,
                    now,
                ),
            )
            self._con.execute(
                "UPDATE slots SET worker_id=?, claimed_at=?, expires_at=? WHERE slot_id=?",
                (worker_id, now, now + self.lease.time_limit_s, row["slot_id"]),
            )
            w = self._by_token(token)
            assert w is not None
            return w, token, False

    @classmethod
    def _same(cls, w: Worker, ident: Identity) -> bool:
        """Whether the session ``w`` belongs to the identity a link names (anonymous: only anonymous sessions)."""
        if ident.anonymous:
            return w.platform == "web"
        return (w.platform, w.external_id, cls._session(w)) == (ident.platform, ident.external_id, ident.session)

    @staticmethod
    def _session(w: Worker) -> str:
        return w.assignment_id if w.platform == "mturk" else w.session_id

    def _holds(self, w: Worker) -> bool:
        row = self._con.execute("SELECT worker_id FROM slots WHERE slot_id=?", (w.slot_id,)).fetchone()
        return row is not None and row["worker_id"] == w.worker_id

    def holds(self, w: Worker) -> bool:
        """Whether ``w`` still holds its slot (an expired lease is kept until another worker claims the slot)."""
        with self._lock:
            return self._holds(w)

    def slots(self, now: float | None = None) -> pd.DataFrame:
        """One row per slot: ``slot_id, group, state`` (``free``, ``held``, ``expired``, ``finished``), the
        holder's ``worker_id, platform, external_id, assignment_id, session_id``, ``claimed_at, expires_at``
        (Unix seconds) and ``answered``."""
        now = time.time() if now is None else now
        with self._lock:
            df = pd.read_sql_query(
                "SELECT s.slot_id, s.grp AS 'group', s.worker_id, w.platform, w.external_id, w.assignment_id,"
                " w.session_id, s.claimed_at, s.expires_at, w.finished_at,"
                " (SELECT COUNT(*) FROM responses r WHERE r.worker_id = s.worker_id) AS answered"
                " FROM slots s LEFT JOIN workers w USING (worker_id) ORDER BY s.slot_id",
                self._con,
            )
        state = pd.Series("held", index=df.index)
        state[df["worker_id"].isna()] = "free"
        state[df["worker_id"].notna() & (df["expires_at"] < now)] = "expired"
        state[df["finished_at"].notna()] = "finished"
        df.insert(2, "state", state)
        return df.drop(columns=["finished_at"])

    def release(self, slot_id: int, now: float | None = None) -> str | None:
        """Return slot ``slot_id`` to the pool; its holder (returned, ``None`` if it was free) can no longer answer.
        A finished slot is never released (``ValueError``): its votes are complete."""
        now = time.time() if now is None else now
        with self._lock, self._tx():
            row = self._con.execute(
                "SELECT s.worker_id, w.finished_at FROM slots s LEFT JOIN workers w USING (worker_id)"
                " WHERE s.slot_id=?",
                (slot_id,),
            ).fetchone()
            if row is None:
                raise KeyError(slot_id)
            if row["finished_at"] is not None:
                raise ValueError(f"slot {slot_id} is finished; its votes are complete and it is not released")
            if row["worker_id"] is not None:
                self._con.execute("UPDATE workers SET released_at=? WHERE worker_id=?", (now, row["worker_id"]))
            self._con.execute(
                "UPDATE slots SET worker_id=NULL, claimed_at=NULL, expires_at=NULL WHERE slot_id=?", (slot_id,)
            )
            return row["worker_id"]

    def _by_token(self, token: str) -> Worker | None:
        row = self._con.execute(
            "SELECT worker_id, slot_id, platform, external_id, assignment_id, finished_at, session_id FROM workers"
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
            row["session_id"],
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

    def record(self, worker: Worker, trial: Trial, choice: str, rt_ms: float, now: float | None = None) -> str:
        """Store one answer: ``'stored'``, ``'duplicate'`` (same answer again), ``'conflict'`` (a different answer
        to an answered trial), ``'out-of-order'`` (not the worker's next trial) or ``'lost'`` (the slot's lease went
        to another worker). Only ``'stored'`` writes; it extends the lease to at least ``grace_s`` from now, and
        the last answer ends it (a finished slot never expires)."""
        now = time.time() if now is None else now
        with self._lock, self._tx():
            if not self._holds(worker):
                return "lost"
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
                (worker.worker_id, trial.trial_id, trial.position, choice, float(rt_ms), now),
            )
            if trial.position == len(self.plan.slots[worker.slot_id]) - 1:
                self._con.execute("UPDATE workers SET finished_at=? WHERE worker_id=?", (now, worker.worker_id))
                self._con.execute("UPDATE slots SET expires_at=NULL WHERE slot_id=?", (worker.slot_id,))
            else:
                self._con.execute(
                    "UPDATE slots SET expires_at=MAX(expires_at, ?) WHERE slot_id=?",
                    (now + self.lease.grace_s, worker.slot_id),
                )
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


def open_db(folder: str | Path) -> StudyDB:
    """The database of the study in ``folder`` with the lease policy of its design (for admin commands)."""
    from srbench.study.spec import DB_FILE, PLAN_FILE, load_spec

    folder = Path(folder)
    spec = load_spec(folder)
    if not (folder / DB_FILE).is_file():
        raise DataError(f"{folder / DB_FILE}: no study database; serve the study first or pass the right folder")
    plan_path = folder / PLAN_FILE
    plan = Plan.load(plan_path)
    s = spec.design.slots
    lease = Lease(s.time_limit_minutes * 60, s.active_grace_minutes * 60, s.per_worker)
    return StudyDB(folder / DB_FILE, plan, hashlib.sha256(plan_path.read_bytes()).hexdigest(), lease)


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
