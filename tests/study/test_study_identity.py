"""Platform identity, slot leases, rate limits, admin slot control and nested-JSON bodies (issue 13)."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from study_helpers import ADMIN, mturk_ids, prolific_ids, replan, set_design
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from srbench.cli import app
from srbench.errors import ConfigError
from srbench.study.db import Lease, StudyDB, StudyFull
from srbench.study.identity import Identity, check_identity
from srbench.study.plan import Plan
from srbench.study.ratelimit import SlidingWindow
from srbench.study.server import MAX_BODY, make_app
from srbench.study.spec import DB_FILE, PLAN_FILE

AUTH = {"Authorization": f"Bearer {ADMIN}"}


def _client(study: Path) -> TestClient:
    return TestClient(make_app(study, ADMIN))


def _start(client: TestClient, **kw: Any) -> Any:
    return client.post("/api/start", json={"consent": True} | kw)


def _finish(client: TestClient, s: dict[str, Any]) -> dict[str, Any]:
    state = s["next"]
    while not state["done"]:
        body = {"token": s["token"], "trial_id": state["trial"]["trial_id"], "choice": "left", "rt_ms": 700}
        state = client.post("/api/respond", json=body).json()["next"]
    return state


def test_a_second_hit_in_the_same_browser_never_resumes_or_completes_the_first(study: Path) -> None:
    client = _client(study)
    first = _start(client, **mturk_ids(1, assignment=0)).json()
    done = _finish(client, first)
    assert done["done"] and done["completion_code"]
    # the browser still holds the first HIT's token; the link names a new assignment
    second = _start(client, **mturk_ids(1, assignment=1), token=first["token"])
    assert second.status_code == 409 and "already taken part" in second.json()["detail"]
    # another person on the same browser gets their own fresh session, not the first worker's completion
    other = _start(client, **mturk_ids(2), token=first["token"]).json()
    assert not other["resumed"] and not other["next"]["done"] and other["token"] != first["token"]
    # the first worker's own link still resumes their own (finished) session
    again = _start(client, **mturk_ids(1, assignment=0), token=first["token"]).json()
    assert again["resumed"] and again["next"]["done"]


def test_a_worker_gets_one_slot_per_study_unless_the_design_allows_more_and_never_two_in_one_group(
    study: Path,
) -> None:
    plan = replan(study, workers_per_pair=2, trials_per_worker=2, sentinels_per_worker=0, repeats_per_worker=0)
    assert plan.n_groups >= 2
    set_design(study, slots={"per_worker": 2})
    client = _client(study)
    a = _start(client, **prolific_ids(7, session=0)).json()
    b = _start(client, **prolific_ids(7, session=1)).json()
    slot_of = {t.trial_id: t for t in plan.trials()}
    ga = slot_of[a["next"]["trial"]["trial_id"]].group
    gb = slot_of[b["next"]["trial"]["trial_id"]].group
    assert ga != gb
    third = _start(client, **prolific_ids(7, session=2))
    assert third.status_code == 409 and "already taken part" in third.json()["detail"]
    same_group = _start(client, **prolific_ids(8), group=ga).json()
    assert not same_group["resumed"]


def test_production_studies_accept_only_their_platforms_with_well_formed_ids(study: Path) -> None:
    set_design(study, platforms=("mturk",))
    client = _client(study)
    anonymous = _start(client)
    assert anonymous.status_code == 403 and "does not accept web" in anonymous.json()["detail"]
    assert _start(client, **prolific_ids(1)).status_code == 403
    for bad in ({"external_id": "W1"}, {"assignment_id": "A1"}, {"hit_id": ""}, {"external_id": "a" + "1" * 13}):
        r = _start(client, **(mturk_ids(1) | bad))
        assert r.status_code == 422 and "not a valid mturk id" in r.json()["detail"]
    assert _start(client, **mturk_ids(1)).status_code == 200


def test_identity_formats() -> None:
    check_identity(Identity("mturk", "A1B2C3D4E5F6G7", "3" + "K" * 29, "3" + "H" * 29))
    check_identity(Identity("prolific", "5" * 24, "a" * 24, "", "b" * 24))
    check_identity(Identity("web"))
    for bad in (
        Identity("mturk", "B1B2C3D4E5F6G7", "3" + "K" * 29, "3" + "H" * 29),
        Identity("prolific", "5" * 23, "a" * 24, "", "b" * 24),
        Identity("prolific", "5" * 24, "a" * 24, "", "B" * 24),
        Identity("web", "someone"),
    ):
        with pytest.raises(ValueError):
            check_identity(bad)


def _db(study: Path, **lease: float) -> StudyDB:
    plan = Plan.load(study / PLAN_FILE)
    sha = hashlib.sha256((study / PLAN_FILE).read_bytes()).hexdigest()
    return StudyDB(study / DB_FILE, plan, sha, Lease(**lease))  # type: ignore[arg-type]


def test_slot_leases_expire_unless_the_worker_is_active_and_return_to_the_pool(study: Path) -> None:
    db = _db(study, time_limit_s=100.0, grace_s=30.0)
    n = db.plan.n_slots
    held = [db.start(Identity("web"), now=0.0)[0] for _ in range(n)]
    with pytest.raises(StudyFull):
        db.start(Identity("web"), now=99.0)
    active = held[0]
    trials = db.plan.slots[active.slot_id]
    assert db.record(active, trials[0], "left", 500, now=90.0) == "stored"  # active: holds to 90 + 30 s
    newcomer, _, _ = db.start(Identity("web"), now=101.0)  # an idle lease went back to the pool
    assert newcomer.slot_id != active.slot_id and newcomer.slot_id in {w.slot_id for w in held[1:]}
    lost = next(w for w in held if w.slot_id == newcomer.slot_id)
    assert not db.holds(lost) and db.record(lost, db.plan.slots[lost.slot_id][0], "left", 1, now=102.0) == "lost"
    assert db.holds(active) and db.record(active, trials[1], "left", 500, now=115.0) == "stored"
    for t in trials[2:]:  # finished: never expires
        assert db.record(active, t, "left", 500, now=116.0) == "stored"
    states = db.slots(now=10_000.0).set_index("slot_id")["state"]
    assert states[active.slot_id] == "finished" and (states.drop(active.slot_id) == "expired").all()
    for _ in range(n - 1):
        db.start(Identity("web"), now=10_000.0)
    with pytest.raises(StudyFull):
        db.start(Identity("web"), now=10_000.0)
    db.close()


def test_a_worker_whose_slot_went_to_another_gets_410(study: Path) -> None:
    client = _client(study)
    s = _start(client, **prolific_ids(3)).json()
    slots = client.get("/api/admin/slots", headers=AUTH).json()
    mine = next(r for r in slots if r["external_id"] == f"{3:024x}")
    assert mine["state"] == "held" and mine["answered"] == 0
    r = client.post(f"/api/admin/slots/{mine['slot_id']}/release", headers=AUTH)
    assert r.status_code == 200 and r.json()["released_worker"] == mine["worker_id"]
    body = {"token": s["token"], "trial_id": s["next"]["trial"]["trial_id"], "choice": "left", "rt_ms": 900}
    assert client.post("/api/respond", json=body).status_code == 410
    assert client.post("/api/next", json={"token": s["token"]}).status_code == 410
    again = _start(client, **prolific_ids(3), token=s["token"])
    assert again.status_code == 410 and "ran out" in again.json()["detail"]


def test_admin_slot_routes_need_the_token_and_never_release_a_finished_slot(study: Path) -> None:
    client = _client(study)
    assert client.get("/api/admin/slots").status_code == 403
    assert client.post("/api/admin/slots/0/release").status_code == 403
    s = _start(client, **mturk_ids(4)).json()
    _finish(client, s)
    slots = client.get("/api/admin/slots", headers=AUTH).json()
    done = next(r for r in slots if r["state"] == "finished")
    assert client.post(f"/api/admin/slots/{done['slot_id']}/release", headers=AUTH).status_code == 409
    assert client.post("/api/admin/slots/9999/release", headers=AUTH).status_code == 404


def test_cli_lists_and_releases_slots(study: Path) -> None:
    client = _client(study)
    _start(client, **mturk_ids(5))
    runner = CliRunner()
    r = runner.invoke(app, ["study", "slots", "list", str(study), "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert "held" in r.output and "A0000000000005" in r.output
    held = next(line.split(",")[0] for line in r.output.splitlines() if ",held," in line)
    r = runner.invoke(app, ["study", "slots", "release", str(study), held])
    assert r.exit_code == 0 and f"slot {held} released" in r.output
    r = runner.invoke(app, ["study", "slots", "list", str(study), "--format", "csv"])
    assert ",held," not in r.output
    r = runner.invoke(app, ["study", "slots", "release", str(study), "999"])
    assert isinstance(r.exception, ConfigError) and "no slot 999" in str(r.exception)


def test_rate_limits_per_client_and_per_identity(study: Path) -> None:
    set_design(study, rate_limit={"starts_per_client": 3, "starts_per_identity": 2, "window_seconds": 60})
    client = _client(study)
    assert _start(client, **mturk_ids(1)).status_code == 200
    assert _start(client, **mturk_ids(1, assignment=1)).status_code == 409  # counted: one place per worker
    r = _start(client, **mturk_ids(1, assignment=2))
    assert r.status_code == 429 and "worker id" in r.json()["detail"] and int(r.headers["retry-after"]) > 0
    r = _start(client, **mturk_ids(2))
    assert r.status_code == 429 and "address" in r.json()["detail"]


def test_sliding_window_counts_events_within_the_window() -> None:
    w = SlidingWindow(2, 10.0, max_keys=2)
    assert w.hit("a", 0.0) == 0 and w.hit("a", 1.0) == 0
    assert w.hit("a", 2.0) == pytest.approx(8.0)
    assert w.hit("a", 10.5) == 0  # the first event left the window
    for k in "bcd":  # bounded memory: old keys are forgotten
        w.hit(k, 11.0)
    assert len(w._events) == 2


def _nested(depth: int, opener: str) -> bytes:
    """A valid answer body with one extra field nested ``depth`` deep (lists or objects)."""
    inner = '{"a":' * depth + "1" + "}" * depth if opener == "{" else "[" * depth + "]" * depth
    return ('{"token": "x", "trial_id": "y", "choice": "left", "rt_ms": 1, "z": ' + inner + "}").encode()


@pytest.mark.parametrize("depth", [1, 10, 100, 400, 1000, 2000])
def test_deeply_nested_json_gets_a_4xx_at_any_depth(study: Path, depth: int) -> None:
    client = _client(study)
    bodies = [b"[" * min(depth, MAX_BODY), b"[" * depth + b"]" * depth, _nested(depth, "[")]
    bodies.append(_nested(min(depth, 500), "{"))
    for path in ("/api/start", "/api/respond", "/api/next"):
        for body in bodies:
            if len(body) > MAX_BODY:
                continue
            r = client.post(path, content=body, headers={"content-type": "application/json"})
            assert 400 <= r.status_code < 500, (path, depth, r.status_code)
            assert json.loads(r.text)["detail"]
