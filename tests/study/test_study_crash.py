"""Crash test: kill -9 the server mid-study, restart it; committed answers survive and the worker resumes."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import httpx
from study_helpers import server_process

from srbench.study.create import load_plan
from srbench.study.spec import DB_FILE


def _db_rows(study: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(study / DB_FILE)
    try:
        return con.execute("SELECT trial_id, choice FROM responses ORDER BY position").fetchall()
    finally:
        con.close()


def test_kill_9_loses_nothing_committed_and_the_worker_resumes(study: Path) -> None:
    answered: list[tuple[str, str]] = []
    with server_process(study) as (url, proc):
        s = httpx.post(url + "api/start", json={"consent": True}).json()
        token, state = s["token"], s["next"]
        for i in range(3):
            choice = "left" if i % 2 else "right"
            r = httpx.post(
                url + "api/respond",
                json={"token": token, "trial_id": state["trial"]["trial_id"], "choice": choice, "rt_ms": 900},
            )
            assert r.status_code == 200
            answered.append((state["trial"]["trial_id"], choice))
            state = r.json()["next"]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert _db_rows(study) == answered  # every acknowledged answer is on disk
    with server_process(study) as (url, _):
        resumed = httpx.post(url + "api/next", json={"token": token}).json()
        assert resumed["trial"]["trial_id"] == state["trial"]["trial_id"]
        assert resumed["trial"]["position"] == 3
        # the page retries an answer whose reply was lost in the crash: stored once
        retry = {"token": token, "trial_id": answered[-1][0], "choice": answered[-1][1], "rt_ms": 1}
        again = httpx.post(url + "api/respond", json=retry)
        assert again.json()["status"] == "duplicate"
        state = resumed
        while not state["done"]:
            r = httpx.post(
                url + "api/respond",
                json={"token": token, "trial_id": state["trial"]["trial_id"], "choice": "left", "rt_ms": 900},
            )
            answered.append((state["trial"]["trial_id"], "left"))
            state = r.json()["next"]
    assert _db_rows(study) == answered
    assert len(answered) == len(load_plan(study).slots[0])
