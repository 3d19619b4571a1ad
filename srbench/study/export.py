"""``srbench study export``: files for crowd platforms. No credentials are asked for or written.

MTurk (``<out>/mturk/``), sandbox unless ``live=True``:

* ``external_question.xml``: an ExternalQuestion pointing at the served study (MTurk appends ``assignmentId``,
  ``hitId``, ``workerId`` and ``turkSubmitTo``; the study page posts ``completion_code`` and ``votes`` back to
  ``<turkSubmitTo>/mturk/externalSubmit``);
* ``hit_template.html`` (Requester UI; ``${study_url}`` comes from the batch CSV) and
  ``questions/html_question_groupNNNN.xml`` (API; one HTMLQuestion per HIT): a form that embeds the study in an
  iframe, receives the completion code and the votes from it (``postMessage``) and submits them with the HIT;
* ``batch.csv``: one row per plan group (one HIT each, ``workers_per_pair`` assignments), column ``study_url``;
* ``hit_settings.json``: endpoint, preview site, assignments per HIT, reward and durations as given.

Prolific (``<out>/prolific/setup.json``): the study URL with ``PROLIFIC_PID``, ``STUDY_ID`` and ``SESSION_ID``
placeholders and the completion URL/code, with the number of places (one per plan slot).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import ConfigError
from srbench.study.plan import Plan
from srbench.study.server import PROLIFIC_COMPLETE
from srbench.study.spec import PLAN_FILE, load_spec

MTURK = {
    "sandbox": {
        "endpoint": "https://mturk-requester-sandbox.us-east-1.amazonaws.com",
        "preview": "https://workersandbox.mturk.com/mturk/preview?groupId=",
        "submit": "https://workersandbox.mturk.com/mturk/externalSubmit",
    },
    "live": {
        "endpoint": "https://mturk-requester.us-east-1.amazonaws.com",
        "preview": "https://www.mturk.com/mturk/preview?groupId=",
        "submit": "https://www.mturk.com/mturk/externalSubmit",
    },
}
EXTERNAL_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2006-07-14/ExternalQuestion.xsd"
HTML_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"

HIT_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Image preference study</title></head>
<body>
<form name="mturk_form" method="post" id="mturk_form" action="{submit}">
  <input type="hidden" name="assignmentId" id="assignmentId" value="">
  <input type="hidden" name="votes" id="votes" value="">
  <p>Complete the study below; the Submit button unlocks when you have finished.</p>
  <iframe id="study" title="study" style="width:100%;height:80vh;border:1px solid #ccc"></iframe>
  <p>Completion code: <input name="completion_code" id="completion_code" readonly required></p>
  <p><input type="submit" id="submitButton" value="Submit" disabled></p>
</form>
<script>
(function () {{
  var p = new URLSearchParams(location.search);
  var aid = p.get("assignmentId") || "";
  document.getElementById("assignmentId").value = aid;
  var form = document.getElementById("mturk_form");
  var sub = p.get("turkSubmitTo");
  var ok = ["https://www.mturk.com", "https://workersandbox.mturk.com"];
  if (ok.indexOf(sub) >= 0) form.action = sub + "/mturk/externalSubmit";
  var url = new URL("${{study_url}}");
  ["assignmentId", "hitId", "workerId"].forEach(function (k) {{ if (p.get(k)) url.searchParams.set(k, p.get(k)); }});
  if (aid !== "ASSIGNMENT_ID_NOT_AVAILABLE") document.getElementById("study").src = url.toString();
  window.addEventListener("message", function (ev) {{
    if (ev.origin !== url.origin || !ev.data || ev.data.type !== "srbench-study-complete") return;
    document.getElementById("completion_code").value = ev.data.completion_code;
    document.getElementById("votes").value = ev.data.votes;
    document.getElementById("submitButton").disabled = false;
  }});
}})();
</script>
</body></html>
"""


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url {url!r} is not an http(s) URL; pass where `srbench study serve` is reachable")
    if parts.query or parts.fragment:
        raise ConfigError(f"--url {url!r} must not carry a query or fragment; pass the bare study address")
    return url if url.endswith("/") else url + "/"


def _write(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def external_question(url: str, frame_height: int = 0) -> str:
    """MTurk ExternalQuestion XML for ``url`` (``frame_height = 0``: MTurk sizes the frame)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ExternalQuestion xmlns="{EXTERNAL_NS}">\n'
        f"  <ExternalURL>{escape(url)}</ExternalURL>\n  <FrameHeight>{int(frame_height)}</FrameHeight>\n"
        "</ExternalQuestion>\n"
    )


def html_question(html: str, frame_height: int = 0) -> str:
    """MTurk HTMLQuestion XML wrapping ``html`` in CDATA."""
    if "]]>" in html:
        raise ValueError("HTML content must not contain ']]>'")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<HTMLQuestion xmlns="{HTML_NS}">\n'
        f"  <HTMLContent><![CDATA[\n{html}]]></HTMLContent>\n  <FrameHeight>{int(frame_height)}</FrameHeight>\n"
        "</HTMLQuestion>\n"
    )


def export_study(
    folder: str | Path,
    url: str,
    out: str | Path | None = None,
    *,
    live: bool = False,
    reward_usd: str = "1.00",
    duration_minutes: int = 30,
) -> list[Path]:
    """Write the MTurk and Prolific files (module docstring) for the study in ``folder`` served at ``url``."""
    spec = load_spec(folder)
    plan = Plan.load(Path(folder) / PLAN_FILE)
    base = _check_url(url)
    dest = Path(out) if out is not None else Path(folder) / "export"
    env = MTURK["live" if live else "sandbox"]
    written = []
    mt = dest / "mturk"
    written.append(_write(mt / "external_question.xml", external_question(base)))
    template = HIT_TEMPLATE.format(submit=env["submit"])
    written.append(_write(mt / "hit_template.html", template))
    for g in range(plan.n_groups):  # API flavour: one HTMLQuestion per HIT, the URL filled in
        filled = template.replace("${study_url}", base + "?" + urlencode({"group": g}))
        written.append(_write(mt / "questions" / f"html_question_group{g:04d}.xml", html_question(filled)))
    rows = [{"study_url": base + "?" + urlencode({"group": g})} for g in range(plan.n_groups)]
    with atomic_path(mt / "batch.csv") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    written.append(mt / "batch.csv")
    minutes = int(duration_minutes)
    settings = {
        "environment": "live" if live else "sandbox",
        **env,
        "hits": plan.n_groups,
        "max_assignments_per_hit": plan.workers_per_pair,
        "reward_usd": str(reward_usd),
        "assignment_duration_seconds": minutes * 60,
        "title": f"Which image looks better? ({spec.name})",
        "note": "credentials are never stored here; use your AWS profile when creating HITs",
    }
    written.append(_write(mt / "hit_settings.json", json.dumps(settings, indent=2) + "\n"))
    prolific = {
        "study_url": base + "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
        "completion_code": spec.completion_code,
        "completion_url": PROLIFIC_COMPLETE + spec.completion_code,
        "places": plan.n_slots,
        "estimated_minutes": minutes,
        "note": "paste study_url into Prolific's study link with 'URL parameters' on; no API token is stored here",
    }
    written.append(_write(dest / "prolific" / "setup.json", json.dumps(prolific, indent=2) + "\n"))
    return written
