"""Platform export files and ingest: the DB and an MTurk batch-results CSV give the same votes table."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from study_helpers import ADMIN, mturk_ids, set_design

from srbench.cli import app
from srbench.errors import ConfigError, DataError
from srbench.study.create import load_plan
from srbench.study.export import EXTERNAL_NS, HTML_NS, export_study
from srbench.study.ingest import review_mturk, votes_from_db, votes_from_mturk
from srbench.study.server import make_app
from srbench.study.spec import load_spec

URL = "https://study.example.org/s1/"


def test_export_writes_sandbox_mturk_and_prolific_files_without_credentials(study: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="anonymous web platform"):
        export_study(study, URL, tmp_path / "lab")
    set_design(study, platforms=("mturk", "prolific"))
    out = tmp_path / "export"
    export_study(study, URL, out)
    plan, spec = load_plan(study), load_spec(study)
    ext = ET.parse(out / "mturk" / "external_question.xml").getroot()
    assert ext.tag == f"{{{EXTERNAL_NS}}}ExternalQuestion"
    assert ext.find(f"{{{EXTERNAL_NS}}}ExternalURL").text == URL  # type: ignore[union-attr]
    questions = sorted((out / "mturk" / "questions").glob("*.xml"))
    assert len(questions) == plan.n_groups
    html = ET.parse(questions[0]).getroot()
    assert html.tag == f"{{{HTML_NS}}}HTMLQuestion"
    content = html.find(f"{{{HTML_NS}}}HTMLContent").text  # type: ignore[union-attr]
    assert URL + "?group=0" in content and "workersandbox.mturk.com/mturk/externalSubmit" in content
    batch = pd.read_csv(out / "mturk" / "batch.csv")
    assert list(batch["study_url"]) == [f"{URL}?group={g}" for g in range(plan.n_groups)]
    settings = json.loads((out / "mturk" / "hit_settings.json").read_text())
    assert settings["environment"] == "sandbox" and "sandbox" in settings["endpoint"]
    assert settings["max_assignments_per_hit"] == spec.workers_per_pair
    prolific = json.loads((out / "prolific" / "setup.json").read_text())
    for key in ("PROLIFIC_PID", "STUDY_ID", "SESSION_ID"):
        assert f"{key}={{{{%{key}%}}}}" in prolific["study_url"]
    assert prolific["completion_url"].endswith("cc=" + spec.completion_code)
    text = " ".join(p.read_text() for p in out.rglob("*") if p.is_file()).lower()
    assert "aws_secret" not in text and "secret_access_key" not in text
    live = tmp_path / "live"
    export_study(study, URL, live, live=True)
    assert json.loads((live / "mturk" / "hit_settings.json").read_text())["environment"] == "live"
    with pytest.raises(ConfigError, match="not an https"):
        export_study(study, "ftp://x", tmp_path / "bad")
    with pytest.raises(ConfigError, match="plain http; MTurk and Prolific need https"):
        export_study(study, "http://study.example.org/", tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    # the preview shows the design's texts; the study page is loaded in preview mode, never left blank
    assert "Which image looks better?" in content and "sharper, more natural" in content
    assert 'if (aid !== "ASSIGNMENT_ID_NOT_AVAILABLE")' not in content
    assert settings["reward_usd"] == "1.00" and settings["assignment_duration_seconds"] == 30 * 60


def test_export_writes_only_the_design_platforms(study: Path, tmp_path: Path) -> None:
    set_design(study, platforms=("prolific",), pay={"amount": "3.00", "currency": "GBP"})
    export_study(study, URL, tmp_path / "e")
    assert not (tmp_path / "e" / "mturk").exists()
    setup = json.loads((tmp_path / "e" / "prolific" / "setup.json").read_text())
    assert setup["reward"] == {"amount": "3.00", "currency": "GBP"}
    set_design(study, platforms=("mturk",), pay={"amount": "3.00", "currency": "GBP"})
    with pytest.raises(ConfigError, match="MTurk pays in USD"):
        export_study(study, URL, tmp_path / "f")


def _complete(client: TestClient, worker: int) -> dict:
    s = client.post("/api/start", json={"consent": True, **mturk_ids(worker)}).json()
    state, i = s["next"], 0
    while not state["done"]:
        body = {
            "token": s["token"],
            "trial_id": state["trial"]["trial_id"],
            "choice": ["left", "right"][i % 2],
            "rt_ms": 500 + i,
        }
        state = client.post("/api/respond", json=body).json()["next"]
        i += 1
    return state


def test_db_and_mturk_csv_ingest_to_the_same_votes(study: Path, tmp_path: Path) -> None:
    client = TestClient(make_app(study, ADMIN))
    done = {w: _complete(client, w) for w in (1, 2)}
    db = votes_from_db(study)
    plan = load_plan(study)
    assert len(db) == sum(len(plan.slots[s]) for s in db["slot"].unique())
    # what the study page posts to MTurk: completion code + votes, one row per assignment
    csv = pd.DataFrame(
        [
            {
                "HITId": mturk_ids(w)["hit_id"],
                "AssignmentId": mturk_ids(w)["assignment_id"],
                "WorkerId": mturk_ids(w)["external_id"],
                "AssignmentStatus": "Submitted",
                "Answer.completion_code": d["completion_code"],
                "Answer.votes": json.dumps(d["votes"]),
            }
            for w, d in done.items()
        ]
    )
    csv.to_csv(tmp_path / "batch_results.csv", index=False)
    mt = votes_from_mturk(study, tmp_path / "batch_results.csv")
    cols = ["external_id", "trial_id", "kind", "stimulus", "winner", "prefers_a", "rt_ms"]
    pd.testing.assert_frame_equal(
        db[cols].sort_values(["external_id", "trial_id"]).reset_index(drop=True),
        mt[cols].sort_values(["external_id", "trial_id"]).reset_index(drop=True),
    )
    # winners follow the plan's sides
    by_id = plan.by_id()
    for r in db.itertuples():
        t = by_id[r.trial_id]
        assert r.winner == (t.left if r.choice == "left" else t.right)


def test_ingest_refuses_files_that_are_not_batch_results(study: Path, tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    pd.DataFrame([{"WorkerId": "W"}]).to_csv(p, index=False)
    with pytest.raises(DataError, match="missing columns"):
        votes_from_mturk(study, p)
    with pytest.raises(DataError, match="no such file"):
        votes_from_mturk(study, tmp_path / "nope.csv")


def test_mturk_ingest_trusts_the_server_and_reports_every_bad_row_without_aborting(study: Path, tmp_path: Path) -> None:
    client = TestClient(make_app(study, ADMIN))
    done = {w: _complete(client, w) for w in (1, 2)}
    client.post("/api/start", json={"consent": True, **mturk_ids(3)})  # started, never finished
    code = load_spec(study).completion_code

    def row(w: int, votes: list, **kw: str) -> dict:
        ids = mturk_ids(w)
        base = {"HITId": ids["hit_id"], "AssignmentId": ids["assignment_id"], "WorkerId": ids["external_id"]}
        return (
            base
            | {"AssignmentStatus": "Submitted", "Answer.completion_code": code}
            | kw
            | {"Answer.votes": json.dumps(votes)}
        )

    tampered = [list(v) for v in done[2]["votes"]]
    tampered[0][1] = "right" if tampered[0][1] == "left" else "left"
    rows = [
        row(1, done[1]["votes"]),  # line 2: fine
        row(2, tampered),  # line 3: the browser posted other votes than the server stored
        row(9, done[1]["votes"]),  # line 4: forged: a worker the server never saw
        row(3, []),  # line 5: never finished
        row(1, done[1]["votes"]),  # line 6: listed twice
        row(1, done[1]["votes"], **{"Answer.completion_code": "NOPE"})
        | {"AssignmentId": mturk_ids(1, 5)["assignment_id"]},
    ]
    (tmp_path / "b.csv").write_text(pd.DataFrame(rows).to_csv(index=False))
    bad = pd.DataFrame(rows).assign(**{"Answer.votes": ["{oops"] + [r["Answer.votes"] for r in rows[1:]]})
    votes, review = review_mturk(study, tmp_path / "b.csv")
    assert list(review["approve"]) == [True, False, False, False, False, False]
    problems = list(review["problem"])
    assert "differ from the server" in problems[1]
    assert "never saw" in problems[2] and "never saw" in problems[5]
    assert "not finished" in problems[3] and "listed twice" in problems[4]
    db = votes_from_db(study)
    expect = db[db["external_id"].isin([mturk_ids(1)["external_id"], mturk_ids(2)["external_id"]])]
    cols = ["worker_id", "trial_id", "choice", "rt_ms"]
    pd.testing.assert_frame_equal(
        votes[cols].sort_values(cols).reset_index(drop=True), expect[cols].sort_values(cols).reset_index(drop=True)
    )
    bad.to_csv(tmp_path / "bad.csv", index=False)
    _, review = review_mturk(study, tmp_path / "bad.csv")
    assert review["problem"].iloc[0] == "Answer.votes is not JSON" and not review["approve"].iloc[0]
    r = CliRunner().invoke(app, ["study", "ingest", str(study), "--mturk", str(tmp_path / "b.csv")])
    assert r.exit_code == 0, r.output
    assert "1 of 6 assignments check out" in r.output
    assert (study / "mturk_review.csv").is_file()
    people = pd.read_csv(study / "participants.csv", dtype=str, keep_default_na=False)
    assert set(people["external_id"]) == {mturk_ids(w)["external_id"] for w in (1, 2, 3)}
    assert set(people["assignment_id"]) == {mturk_ids(w)["assignment_id"] for w in (1, 2, 3)}
