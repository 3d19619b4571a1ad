"""``srbench study publish --mturk``: HITs created through boto3, checked with botocore's Stubber (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from study_helpers import set_design

from srbench.errors import ConfigError
from srbench.study.create import load_plan
from srbench.study.export import EXTERNAL_NS, MTURK
from srbench.study.publish import HITS_FILE, publish_mturk
from srbench.study.spec import load_spec

URL = "https://study.example.org/s1/"


def _client() -> Any:
    return boto3.client(
        "mturk",
        region_name="us-east-1",
        endpoint_url=MTURK["sandbox"]["endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _expected(study: Path, group: int) -> dict[str, Any]:
    spec = load_spec(study)
    return {
        "MaxAssignments": spec.workers_per_pair,
        "AutoApprovalDelayInSeconds": ANY,
        "LifetimeInSeconds": 7 * 24 * 3600,
        "AssignmentDurationInSeconds": 30 * 60,
        "Reward": "1.00",
        "Title": spec.design.title,
        "Keywords": ANY,
        "Description": ANY,
        "Question": ANY,
        "RequesterAnnotation": ANY,
        "UniqueRequestToken": ANY,
    }


def _hit(g: int) -> dict[str, Any]:
    return {"HIT": {"HITId": f"HIT{g:027d}", "HITTypeId": f"TYPE{g:026d}"}}


def test_publish_creates_one_sandbox_hit_per_group_and_a_rerun_creates_none(study: Path) -> None:
    set_design(study, platforms=("mturk",))
    plan = load_plan(study)
    client = _client()
    sent: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.mturk.CreateHIT", lambda params, **_: sent.append(params))
    with Stubber(client) as stub:
        for g in range(plan.n_groups):
            stub.add_response("create_hit", _hit(g), _expected(study, g))
        hits = publish_mturk(study, URL, client=client)
        stub.assert_no_pending_responses()
    assert [h["HITId"] for h in hits] == [_hit(g)["HIT"]["HITId"] for g in range(plan.n_groups)]
    assert client.meta.endpoint_url == MTURK["sandbox"]["endpoint"]
    assert len(sent) == plan.n_groups
    for g, params in enumerate(sent):  # an ExternalQuestion at this group's URL
        assert f"<ExternalURL>{URL}?group={g}</ExternalURL>" in params["Question"] and EXTERNAL_NS in params["Question"]
    record = json.loads((study / HITS_FILE).read_text())
    assert record["environment"] == "sandbox" and set(record["hits"]) == {str(g) for g in range(plan.n_groups)}
    assert "workersandbox" in hits[0]["preview"]
    with Stubber(client) as stub:  # nothing queued: any request would fail the test
        again = publish_mturk(study, URL, client=client)
    assert again == hits
    with pytest.raises(ConfigError, match="holds HITs for sandbox"):
        publish_mturk(study, URL, client=client, live=True)


def test_publish_stops_with_one_line_when_mturk_refuses_and_keeps_what_was_made(study: Path) -> None:
    set_design(study, platforms=("mturk",))
    client = _client()
    with Stubber(client) as stub:
        stub.add_client_error("create_hit", "RequestError", "Insufficient funds", 400)
        with pytest.raises(ConfigError, match=r"MTurk refused the HIT of group 0.*Insufficient funds"):
            publish_mturk(study, URL, client=client)
    assert not (study / HITS_FILE).exists()


def test_publish_refuses_lab_studies_and_plain_http(study: Path) -> None:
    with pytest.raises(ConfigError, match="anonymous web platform"):
        publish_mturk(study, URL, client=_client())
    set_design(study, platforms=("prolific",))
    with pytest.raises(ConfigError, match="does not list mturk"):
        publish_mturk(study, URL, client=_client())
    set_design(study, platforms=("mturk",))
    with pytest.raises(ConfigError, match="plain http"):
        publish_mturk(study, "http://study.example.org/", client=_client())
