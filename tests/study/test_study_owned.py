"""Only this study's HITs and Prolific studies get slots: ``mturk_hits.json`` and ``prolific_study.json``
(:mod:`srbench.study.owned`), picked up while the server runs; ``serve`` warns when they are missing."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from study_helpers import ADMIN, mturk_ids, prolific_ids

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from srbench.errors import DataError
from srbench.study.owned import HITS_FILE, PROLIFIC_FILE, link_prolific
from srbench.study.server import make_app
from srbench.testing.cli import assert_one_line_error, run_cli

AUTH = {"Authorization": f"Bearer {ADMIN}"}
OTHER_PROLIFIC_STUDY = "6" * 24  # prolific_ids() links name study "5" * 24


def _start(client: TestClient, **kw: Any) -> Any:
    return client.post("/api/start", json={"consent": True} | kw)


def _workers(client: TestClient) -> int:
    return int(client.get("/api/admin/progress", headers=AUTH).json()["workers"])


def _held(client: TestClient) -> int:
    return sum(s["state"] != "free" for s in client.get("/api/admin/slots", headers=AUTH).json())


def _record_hits(study: Path, *hit_ids: str, environment: str = "sandbox") -> None:
    """``mturk_hits.json`` as ``srbench study publish`` writes it (atomically: a new file replaces the old)."""
    hits = {str(g): {"group": g, "HITId": h, "HITTypeId": "T" * 30} for g, h in enumerate(hit_ids)}
    tmp = study / (HITS_FILE + ".tmp")
    tmp.write_text(json.dumps({"environment": environment, "url": "https://x.example/", "hits": hits}))
    os.replace(tmp, study / HITS_FILE)


def test_only_the_recorded_hits_get_a_slot_and_another_hit_takes_none(study: Path) -> None:
    _record_hits(study, mturk_ids(0, assignment=0)["hit_id"])
    client = TestClient(make_app(study, ADMIN))
    other = _start(client, **mturk_ids(1, assignment=7))  # well-formed ids of another HIT
    assert other.status_code == 403 and "belongs to another HIT" in other.json()["detail"]
    assert len(other.json()["detail"].splitlines()) == 1
    assert _workers(client) == 0 and _held(client) == 0
    ok = _start(client, **mturk_ids(1, assignment=0))
    assert ok.status_code == 200 and not ok.json()["next"]["done"]
    assert _workers(client) == 1 and _held(client) == 1
    # malformed ids are still 422, before the HIT is looked up
    assert _start(client, **(mturk_ids(2) | {"hit_id": "x"})).status_code == 422


def test_hits_published_while_the_server_runs_are_picked_up(study: Path) -> None:
    client = TestClient(make_app(study, ADMIN))
    assert _start(client, **mturk_ids(1, assignment=5)).status_code == 200  # no record: any well-formed HIT
    _record_hits(study, mturk_ids(0, assignment=0)["hit_id"])
    refused = _start(client, **mturk_ids(2, assignment=5))
    assert refused.status_code == 403 and _workers(client) == 1
    assert _start(client, **mturk_ids(2, assignment=0)).status_code == 200
    _record_hits(study, mturk_ids(0, assignment=0)["hit_id"], mturk_ids(0, assignment=1)["hit_id"])  # a re-run
    assert _start(client, **mturk_ids(3, assignment=1)).status_code == 200
    assert _workers(client) == 3


def test_a_broken_record_stops_the_server_at_start_and_keeps_the_last_good_ids_while_it_runs(study: Path) -> None:
    (study / HITS_FILE).write_text("{not json")
    with pytest.raises(DataError, match=r"mturk_hits\.json"):
        make_app(study, ADMIN)
    _record_hits(study, mturk_ids(0, assignment=0)["hit_id"])
    client = TestClient(make_app(study, ADMIN))
    (study / HITS_FILE).write_text('{"hits": 3}')  # half-edited by hand
    assert _start(client, **mturk_ids(1, assignment=4)).status_code == 403
    assert _start(client, **mturk_ids(1, assignment=0)).status_code == 200


def test_prolific_starts_need_a_linked_study_id_once_one_is_known(study: Path) -> None:
    client = TestClient(make_app(study, ADMIN))
    foreign = prolific_ids(1) | {"study_id": OTHER_PROLIFIC_STUDY}
    assert _start(client, **foreign).status_code == 200  # nothing linked: any well-formed STUDY_ID
    assert link_prolific(study, [prolific_ids(0)["study_id"]]) == [prolific_ids(0)["study_id"]]
    refused = _start(client, **(prolific_ids(2) | {"study_id": OTHER_PROLIFIC_STUDY}))
    assert refused.status_code == 403 and "another Prolific study" in refused.json()["detail"]
    assert _workers(client) == 1
    assert _start(client, **prolific_ids(2)).status_code == 200
    # the serve option adds to the linked ids
    both = TestClient(make_app(study, ADMIN, (OTHER_PROLIFIC_STUDY,)))
    assert _start(both, **(prolific_ids(3) | {"study_id": OTHER_PROLIFIC_STUDY})).status_code == 200
    (study / PROLIFIC_FILE).unlink()
    only_given = TestClient(make_app(study, ADMIN, (OTHER_PROLIFIC_STUDY,)))
    assert _start(only_given, **prolific_ids(4)).status_code == 403


def test_without_records_both_platforms_are_accepted_and_serve_warns(
    study: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = TestClient(make_app(study, ADMIN))
    assert _start(client, **mturk_ids(1, assignment=9)).status_code == 200
    assert _start(client, **(prolific_ids(2) | {"study_id": OTHER_PROLIFIC_STUDY})).status_code == 200
    ran: list[uvicorn.Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: ran.append(self.config))
    monkeypatch.setenv("SRBENCH_STUDY_ADMIN_TOKEN", ADMIN)
    code, _, err = run_cli(["study", "serve", str(study)], monkeypatch, capsys, columns=400)
    assert code == 0 and len(ran) == 1
    lines = err.splitlines()
    mturk = [ln for ln in lines if "MTurk hitIds are not checked" in ln]
    prolific = [ln for ln in lines if "Prolific STUDY_IDs are not checked" in ln]
    assert len(mturk) == 1 and mturk[0].startswith("warning:") and "srbench study publish --mturk" in mturk[0]
    assert len(prolific) == 1 and "link-prolific" in prolific[0] and "--prolific-study-id" in prolific[0]
    # with both records: no warning, a line naming what is accepted
    _record_hits(study, mturk_ids(0)["hit_id"])
    code, _, err = run_cli(
        ["study", "serve", str(study), "--prolific-study-id", "5" * 24], monkeypatch, capsys, columns=400
    )
    assert code == 0 and "warning" not in err
    assert "accepting only the 1 sandbox HITs" in err and "accepting only STUDY_ID " + "5" * 24 in err
    assert _start(TestClient(ran[-1].app), **mturk_ids(5, assignment=3)).status_code == 403  # the app it serves


def test_link_prolific_through_the_cli(
    study: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["study", "link-prolific", str(study), "5" * 24], monkeypatch, capsys)
    assert code == 0 and "5" * 24 in out
    code, out, _ = run_cli(["study", "link-prolific", str(study), "a" * 24], monkeypatch, capsys)
    assert code == 0
    assert json.loads((study / PROLIFIC_FILE).read_text()) == {"study_ids": ["5" * 24, "a" * 24]}
    code, _, err = run_cli(["study", "link-prolific", str(study), "A" * 24], monkeypatch, capsys)
    assert_one_line_error(code, err, "not a Prolific study id")
    code, _, err = run_cli(["study", "serve", str(study), "--prolific-study-id", "nope"], monkeypatch, capsys)
    assert_one_line_error(code, err, "--prolific-study-id", "not a Prolific study id")


def test_a_recorded_hit_opened_with_another_group_than_its_own_is_refused(study: Path) -> None:
    """`publish` makes one HIT per plan group and writes the group into its URL: a link whose group was edited by
    hand would fill another group's slots, so it is refused (403) and takes none."""
    _record_hits(study, mturk_ids(0, assignment=0)["hit_id"])  # the HIT of group 0
    client = TestClient(make_app(study, ADMIN))
    edited = _start(client, **mturk_ids(1, assignment=0), group=1)
    assert edited.status_code == 403 and "group" in edited.json()["detail"]
    assert _workers(client) == 0 and _held(client) == 0
    assert _start(client, **mturk_ids(1, assignment=0), group=0).status_code == 200
    assert _start(client, **mturk_ids(2, assignment=0)).status_code == 200  # no group named: as before
