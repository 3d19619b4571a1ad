"""``srbench study export``: files for crowd platforms. No credentials are asked for or written.

Only production studies are exported (the design's ``platforms`` must not list the anonymous ``web``), only for
the platforms the design lists, and only to an ``https://`` URL (MTurk refuses anything else; run the server
behind a TLS reverse proxy or with ``--ssl-certfile``/``--ssl-keyfile``). Title, time, pay and the assignment time
limit come from the design unless given.

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

import html
import json
import math
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape

import pandas as pd

from srbench.atomic import atomic_path
from srbench.errors import ConfigError
from srbench.study.design import StudyDesign
from srbench.study.plan import Plan
from srbench.study.server import PROLIFIC_COMPLETE
from srbench.study.spec import PLAN_FILE, StudySpec, load_spec

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
<div id="description">{preview}</div>
<form name="mturk_form" method="post" id="mturk_form" action="{submit}">
  <input type="hidden" name="assignmentId" id="assignmentId" value="">
  <input type="hidden" name="votes" id="votes" value="">
  <p>Complete the study below (scroll it fully into view); the Submit button unlocks when you have finished.</p>
  <!-- a whole window high: the study page's screen check (srbench.study.display) measures this frame -->
  <iframe id="study" title="study" style="width:100%;height:100vh;box-sizing:border-box;border:1px solid #ccc">
  </iframe>
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
  // in MTurk's preview (assignmentId ASSIGNMENT_ID_NOT_AVAILABLE, passed on) the study shows its instructions only
  document.getElementById("study").src = url.toString();
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


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "http":
        raise ConfigError(
            f"--url {url!r} is plain http; MTurk and Prolific need https://: serve the study behind a TLS reverse "
            "proxy or with `srbench study serve --ssl-certfile ... --ssl-keyfile ...` (README, Deployment)"
        )
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(f"--url {url!r} is not an https:// URL; pass where `srbench study serve` is reachable")
    if parts.query or parts.fragment:
        raise ConfigError(f"--url {url!r} must not carry a query or fragment; pass the bare study address")
    return url if url.endswith("/") else url + "/"


def check_production(spec: StudySpec) -> StudyDesign:
    """The design of a study that may be exported or published: platforms without the anonymous ``web``."""
    design = spec.design
    if not design.production:
        raise ConfigError(
            f"study {spec.name} lists the anonymous web platform (platforms: {list(design.platforms)}), which is "
            "for local or lab runs only; re-create it with --platform mturk and/or --platform prolific"
        )
    return design


def preview_html(design: StudyDesign) -> str:
    """The HIT's description for MTurk's preview: title, instructions, time, pay and researcher (escaped)."""
    parts = [f"<h1>{html.escape(design.title)}</h1>"]
    parts += [f"<p>{html.escape(p.strip())}</p>" for p in design.instructions.split("\n\n") if p.strip()]
    parts.append(
        f"<p>About {design.minutes} minutes; pay {html.escape(design.pay.amount)} {html.escape(design.pay.currency)}."
        "</p>"
    )
    r = design.researcher
    if r.name:
        who = ", ".join(html.escape(x) for x in (r.name, r.institution, r.email) if x)
        parts.append(f"<p>Researcher: {who}.</p>")
    return "\n".join(parts)


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
    reward_usd: str | None = None,
    duration_minutes: int | None = None,
) -> list[Path]:
    """Write the MTurk and Prolific files (module docstring) for the study in ``folder`` served at ``url``.

    ``reward_usd`` defaults to the design's pay, ``duration_minutes`` to its slot time limit."""
    spec = load_spec(folder)
    design = check_production(spec)
    plan = Plan.load(Path(folder) / PLAN_FILE)
    base = check_url(url)
    dest = Path(out) if out is not None else Path(folder) / "export"
    minutes = int(duration_minutes or math.ceil(design.slots.time_limit_minutes))
    written = []
    if "mturk" in design.platforms:
        written += _export_mturk(spec, plan, base, dest / "mturk", live, reward_usd, minutes)
    if "prolific" in design.platforms:
        prolific = {
            "study_url": base + "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}",
            "completion_code": spec.completion_code,
            "completion_url": PROLIFIC_COMPLETE + spec.completion_code,
            "places": plan.n_slots,
            "estimated_minutes": design.minutes,
            "reward": {"amount": design.pay.amount, "currency": design.pay.currency},
            "note": "paste study_url into Prolific's study link with 'URL parameters' on; no API token is stored here",
        }
        written.append(_write(dest / "prolific" / "setup.json", json.dumps(prolific, indent=2) + "\n"))
    return written


def mturk_reward(design: StudyDesign, reward_usd: str | None) -> str:
    """The reward per assignment in USD: ``reward_usd``, else the design's pay (which must then be in USD)."""
    if reward_usd is not None:
        return str(reward_usd)
    if design.pay.currency != "USD":
        raise ConfigError(f"MTurk pays in USD but the design's pay is in {design.pay.currency}; pass --reward")
    return design.pay.amount


def _export_mturk(
    spec: StudySpec, plan: Plan, base: str, mt: Path, live: bool, reward_usd: str | None, minutes: int
) -> list[Path]:
    design = spec.design
    env = MTURK["live" if live else "sandbox"]
    written = []
    written.append(_write(mt / "external_question.xml", external_question(base)))
    template = HIT_TEMPLATE.format(submit=env["submit"], preview=preview_html(design))
    written.append(_write(mt / "hit_template.html", template))
    for g in range(plan.n_groups):  # API flavour: one HTMLQuestion per HIT, the URL filled in
        filled = template.replace("${study_url}", base + "?" + urlencode({"group": g}))
        written.append(_write(mt / "questions" / f"html_question_group{g:04d}.xml", html_question(filled)))
    rows = [{"study_url": base + "?" + urlencode({"group": g})} for g in range(plan.n_groups)]
    with atomic_path(mt / "batch.csv") as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False)
    written.append(mt / "batch.csv")
    settings = {
        "environment": "live" if live else "sandbox",
        **env,
        "hits": plan.n_groups,
        "max_assignments_per_hit": plan.workers_per_pair,
        "reward_usd": mturk_reward(design, reward_usd),
        "assignment_duration_seconds": minutes * 60,
        "title": design.title,
        "note": "credentials are never stored here; `srbench study publish --mturk` creates the HITs with boto3",
    }
    written.append(_write(mt / "hit_settings.json", json.dumps(settings, indent=2) + "\n"))
    return written
