"""Load on loopback: 50 simulated workers answer at once against ``srbench study serve`` in a child process."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx
import numpy as np
from study_helpers import prolific_ids, replan, server_process, set_design

from srbench.study.spec import DB_FILE

WORKERS = 50


async def _worker(client: httpx.AsyncClient, i: int, latencies: list[float]) -> list[tuple[str, str]]:
    async def post(path: str, body: dict) -> dict:
        t0 = time.perf_counter()
        r = await client.post(path, json=body)
        latencies.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
        return r.json()

    s = await post("api/start", {"consent": True, **prolific_ids(i)})
    token, state, sent = s["token"], s["next"], []
    while not state["done"]:
        choice = "left" if (i + state["trial"]["position"]) % 2 else "right"
        body = {"token": token, "trial_id": state["trial"]["trial_id"], "choice": choice, "rt_ms": 700 + i}
        r = await post("api/respond", body)
        if state["trial"]["position"] == 0:  # a replayed submission (e.g. a retried request) must not add a row
            assert (await post("api/respond", body))["status"] == "duplicate"
        sent.append((state["trial"]["trial_id"], choice))
        state = r["next"]
    return sent


async def _run(url: str, latencies: list[float]) -> list[list[tuple[str, str]]]:
    limits = httpx.Limits(max_connections=WORKERS)
    async with httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) as client:
        return await asyncio.wait_for(
            asyncio.gather(*[_worker(client, i, latencies) for i in range(WORKERS)]), timeout=60
        )


def test_fifty_concurrent_workers_every_vote_stored_exactly_once(study: Path) -> None:
    plan = replan(study, workers_per_pair=13, trials_per_worker=1, sentinels_per_worker=2, repeats_per_worker=0)
    assert plan.n_slots >= WORKERS
    set_design(study, rate_limit={"starts_per_client": WORKERS})  # all 50 come from 127.0.0.1
    latencies: list[float] = []
    with server_process(study) as (url, _):
        t0 = time.perf_counter()
        sent = asyncio.run(_run(url, latencies))
        wall = time.perf_counter() - t0
    p95 = float(np.percentile(latencies, 95)) * 1000
    print(
        f"\nload: {WORKERS} workers, {len(latencies)} requests in {wall:.2f} s = {len(latencies) / wall:.0f} req/s; "
        f"p95 latency {p95:.0f} ms, median {np.median(latencies) * 1000:.0f} ms"
    )
    con = sqlite3.connect(study / DB_FILE)
    rows = con.execute(
        "SELECT w.external_id, r.trial_id, r.choice FROM responses r JOIN workers w USING (worker_id)"
    ).fetchall()
    con.close()
    expected = {(f"{i:024x}", t, c) for i, s in enumerate(sent) for t, c in s}
    assert len(rows) == len(expected) == sum(len(s) for s in sent)
    assert set(rows) == expected
    assert wall < 60
