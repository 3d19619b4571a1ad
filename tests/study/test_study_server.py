"""The worker API in-process (FastAPI TestClient): the happy path, idempotency, isolation and bad input."""

from __future__ import annotations

import json
import sqlite3
import warnings
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from study_helpers import ADMIN, mturk_ids, prolific_ids

from srbench.study.create import load_plan
from srbench.study.server import MAX_BODY, make_app
from srbench.study.spec import DB_FILE, load_spec


@pytest.fixture
def client(study: Path) -> TestClient:
    return TestClient(make_app(study, ADMIN))


def _count(study: Path) -> int:
    con = sqlite3.connect(study / DB_FILE)
    try:
        return int(con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
    finally:
        con.close()


def _start(client: TestClient, **kw: Any) -> dict[str, Any]:
    r = client.post("/api/start", json={"consent": True} | kw)
    assert r.status_code == 200, r.text
    return r.json()


def _answer(client: TestClient, token: str, state: dict[str, Any], choice: str = "left") -> Any:
    return client.post(
        "/api/respond", json={"token": token, "trial_id": state["trial"]["trial_id"], "choice": choice, "rt_ms": 800}
    )


def test_a_worker_completes_the_study_and_every_answer_is_stored_once(client: TestClient, study: Path) -> None:
    s = _start(client, **prolific_ids(1))
    token, state = s["token"], s["next"]
    n = 0
    while not state["done"]:
        trial = state["trial"]
        for k in ("reference", "left", "right"):
            img = client.get("/" + trial[k]["url"])
            assert img.status_code == 200 and img.headers["content-type"] == "image/png"
        r = _answer(client, token, state, "left" if n % 2 else "right")
        assert r.json()["status"] == "stored"
        state = r.json()["next"]
        n += 1
    spec = load_spec(study)
    plan = load_plan(study)
    assert n == len(plan.slots[0]) == _count(study)
    assert state["completion_code"] == spec.completion_code
    assert state["completion_url"].endswith("cc=" + spec.completion_code)
    assert [v[1] for v in state["votes"]] == ["left" if i % 2 else "right" for i in range(n)]


def test_a_replayed_answer_is_stored_once_and_a_changed_one_is_refused(client: TestClient, study: Path) -> None:
    s = _start(client)
    first = _answer(client, s["token"], s["next"], "left")
    assert first.json()["status"] == "stored"
    again = _answer(client, s["token"], s["next"], "left")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert again.json()["next"] == first.json()["next"]
    changed = _answer(client, s["token"], s["next"], "right")
    assert changed.status_code == 409
    assert _count(study) == 1


def test_trials_must_be_answered_in_order_and_only_by_their_worker(client: TestClient, study: Path) -> None:
    a, b = _start(client), _start(client)
    plan = load_plan(study)
    slot_a = next(t.slot for t in plan.trials() if t.trial_id == a["next"]["trial"]["trial_id"])
    later = plan.slots[slot_a][2].trial_id
    r = client.post("/api/respond", json={"token": a["token"], "trial_id": later, "choice": "left", "rt_ms": 5})
    assert r.status_code == 409
    # b answering a's trial: unknown for b (no hint that it exists)
    r = _answer(client, b["token"], a["next"])
    assert r.status_code == 404
    r = client.post("/api/respond", json={"token": a["token"], "trial_id": "f" * 16, "choice": "left", "rt_ms": 5})
    assert r.status_code == 404
    assert _count(study) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[]", 422),
        (b'{"token": "x", "trial_id": "y", "choice": "up", "rt_ms": 1}', 422),
        (b'{"token": "x", "trial_id": "y", "choice": "left", "rt_ms": -1}', 422),
        (b'{"token": "x", "trial_id": "y", "choice": "left", "rt_ms": "NaN"}', 422),
        (b'{"token": "x", "trial_id": "y", "choice": "left", "rt_ms": 1, "worker_id": "other"}', 422),
        (b'{"token": "x", "trial_id": "y", "choice": "left", "rt_ms": 1}', 401),
        (b'{"token": "", "trial_id": "y", "choice": "left", "rt_ms": 1}', 422),
    ],
)
def test_malformed_or_forged_answers_are_rejected_and_nothing_is_stored(
    client: TestClient, study: Path, body: bytes, status: int
) -> None:
    _start(client)
    r = client.post("/api/respond", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    assert _count(study) == 0


def test_oversized_bodies_are_rejected_with_413(client: TestClient, study: Path) -> None:
    s = _start(client)
    big = b'{"token": "' + s["token"].encode() + b'", "pad": "' + b"x" * (MAX_BODY + 10) + b'"}'
    assert client.post("/api/respond", content=big).status_code == 413

    def chunks() -> Any:  # no Content-Length: streamed, still capped
        for _ in range(10):
            yield b"x" * 1024

    assert client.post("/api/respond", content=chunks()).status_code == 413
    assert client.post("/api/start", content=b"{}", headers={"content-length": "99999999"}).status_code == 413
    assert _count(study) == 0


def test_start_requires_consent_and_refuses_previews_and_taken_ids(client: TestClient, study: Path) -> None:
    assert client.post("/api/start", json={}).status_code == 422
    assert client.post("/api/start", json={"consent": False}).status_code == 422
    pv = {"consent": True, **mturk_ids(1), "assignment_id": "ASSIGNMENT_ID_NOT_AVAILABLE"}
    assert client.post("/api/start", json=pv).status_code == 409
    first = _start(client, **mturk_ids(1))
    taken = {"consent": True, **mturk_ids(1)}  # the same assignment from another browser (no token)
    assert client.post("/api/start", json=taken).status_code == 409
    resumed = _start(client, **mturk_ids(1), token=first["token"])
    assert resumed["resumed"] and resumed["next"] == first["next"]
    assert client.post("/api/start", json={"consent": True, "external_id": "../../etc"}).status_code == 422
    assert client.post("/api/start", json={"consent": True, "group": 999}).status_code == 404


def test_the_study_is_full_when_every_slot_is_taken(client: TestClient, study: Path) -> None:
    for _ in range(load_plan(study).n_slots):
        _start(client)
    r = client.post("/api/start", json={"consent": True})
    assert r.status_code == 409 and "full" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/images/../study.json",
        "/images/..%2fstudy.json",
        "/images/%2e%2e/%2e%2e/etc/passwd",
        "/images/..%2f..%2fplan.json",
        "/images//etc/passwd",
        "/images/x/..%2f..%2fresponses.sqlite",
        "/images/%2fetc%2fpasswd/x",
    ],
)
def test_path_traversal_in_image_urls_is_refused(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert b"completion_code" not in r.content and b"root:" not in r.content


def test_only_listed_images_are_served(client: TestClient, study: Path) -> None:
    stim = sorted(p.name for p in (study / "images").iterdir())[0]
    (study / "images" / stim / "secret.png").write_bytes(b"not listed")
    assert client.get(f"/images/{stim}/secret.png").status_code == 404


def test_admin_routes_need_the_admin_token(client: TestClient, study: Path) -> None:
    s = _start(client)
    _answer(client, s["token"], s["next"])
    assert client.get("/api/admin/responses").status_code == 403
    assert client.get("/api/admin/responses", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/api/admin/progress", headers={"Authorization": "Bearer " + s["token"]}).status_code == 403
    ok = client.get("/api/admin/responses", headers={"Authorization": f"Bearer {ADMIN}"})
    assert ok.status_code == 200 and ok.text.count("\n") == 2  # header + one response
    prog = client.get("/api/admin/progress", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    assert prog["responses"] == 1 and prog["workers"] == 1
    # neither token is written into the study folder
    for f in study.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert ADMIN.encode() not in data and s["token"].encode() not in data


def test_the_page_keeps_images_at_natural_size_with_pixelated_rendering(client: TestClient) -> None:
    page = client.get("/").text
    assert "image-rendering: pixelated" in page and "consent" in page
    js = client.get("/static/study.js").text  # CSS size = natural size / devicePixelRatio (test_study_display.py)
    assert "Number(img.dataset.width) / dpr" in js and "ArrowLeft" in js


def test_info_gives_the_design_texts_and_a_practice_screen_that_is_never_recorded(
    client: TestClient, study: Path
) -> None:
    info = client.get("/api/info").json()
    design = load_spec(study).design
    assert (info["title"], info["consent"], info["minutes"]) == (design.title, design.consent, design.minutes)
    assert info["pay"] == {"amount": "1.00", "currency": "USD"}
    assert info["display"] == design.display.model_dump(mode="json")
    practice = info["practice"]
    assert practice["answer"] in ("left", "right")
    plan = load_plan(study)
    shown = {v for views in plan.images.values() for v in views.values()}
    for k in ("ref", "left", "right"):
        url = practice[k]["url"]
        assert url.removeprefix("images/") not in shown  # its own files, not a study image's
        assert client.get("/" + url).status_code == 200
    assert "completion_code" not in json.dumps(info) and load_spec(study).completion_code not in json.dumps(info)
    assert _count(study) == 0
