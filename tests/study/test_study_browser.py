"""A real headless Chromium (Debian ``chromium``, driven by Playwright) completes a study as a worker would.

Skips with a reason when no chromium binary is found; under ``SRBENCH_REQUIRE_SHARED=1`` (CI, which installs
chromium in ``.ci/run``) the conftest turns that skip into a failure, like every other skip.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from study_helpers import ADMIN, chromium, mturk_ids, prolific_ids, running_server, set_design

from srbench.study.create import load_plan
from srbench.study.spec import DB_FILE, load_spec


def test_headless_chromium_completes_the_study_and_votes_reach_the_database(study: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    exe = chromium()
    plan = load_plan(study)
    pressed: list[str] = []
    with running_server(study) as url, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800}, device_scale_factor=1)
            page.route("https://app.prolific.com/**", lambda route: route.fulfill(body="prolific", status=200))
            page.goto(url + "?" + _prolific_query(1))
            assert page.is_disabled("#start")
            page.wait_for_function("document.getElementById('consent-text').textContent.includes('research only')")
            page.check("#consent")
            page.click("#start")
            _practice(page)
            total = len(plan.slots[0])
            for i in range(total):
                if i == 2:  # a reload (or a closed tab) resumes at the first unanswered trial
                    page.reload()
                page.wait_for_function(f"document.getElementById('progress').textContent.startsWith('Screen {i + 1} ')")
                page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")
                shown = page.evaluate(
                    """() => ['ref', 'img-left', 'img-right'].map(id => {
                        const im = document.getElementById(id);
                        return [im.naturalWidth, im.naturalHeight, im.getBoundingClientRect().width,
                                im.getBoundingClientRect().height, getComputedStyle(im).imageRendering];
                    })"""
                )
                for nw, nh, w, h, rendering in shown:  # 1:1 pixels, never resampled
                    assert (w, h) == (nw, nh) and nw > 0
                    assert rendering == "pixelated"
                if i % 3 == 0:
                    page.keyboard.press("f")
                    pressed.append("left")
                elif i % 3 == 1:
                    page.keyboard.press("ArrowRight")
                    pressed.append("right")
                else:
                    page.click("#left")
                    pressed.append("left")
            page.wait_for_selector("#done:not(.hidden)")
            code = page.text_content("#code")
            link = page.get_attribute("#platform a", "href")
            page.wait_for_url("https://app.prolific.com/**", timeout=10_000)  # redirected back automatically
            redirected = page.url
        finally:
            browser.close()
    assert code == load_spec(study).completion_code
    assert link is not None and link.endswith("cc=" + code) and redirected == link
    con = sqlite3.connect(study / DB_FILE)
    rows = con.execute(
        "SELECT r.choice, r.rt_ms, w.platform, w.external_id FROM responses r JOIN workers w USING (worker_id)"
        " ORDER BY r.position"
    ).fetchall()
    con.close()
    assert [r[0] for r in rows] == pressed
    assert all(r[1] >= 0 for r in rows)
    assert {(r[2], r[3]) for r in rows} == {("prolific", prolific_ids(1)["external_id"])}


def _prolific_query(i: int) -> str:
    ids = prolific_ids(i)
    return urlencode({"PROLIFIC_PID": ids["external_id"], "STUDY_ID": ids["study_id"], "SESSION_ID": ids["session_id"]})


def _mturk_query(i: int, assignment: int) -> str:
    ids = mturk_ids(i, assignment)
    return urlencode(
        {
            "workerId": ids["external_id"],
            "assignmentId": ids["assignment_id"],
            "hitId": ids["hit_id"],
            "turkSubmitTo": "https://workersandbox.mturk.com",
        }
    )


def _practice(page: Any) -> None:
    """Answer the practice screen (not recorded) and wait for its feedback to pass."""
    page.wait_for_function("document.getElementById('progress').textContent.startsWith('Practice')")
    page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")
    page.keyboard.press("f")
    page.wait_for_selector("#practice-note:not(.hidden)")


def _answer_all(page: Any, total: int) -> None:
    for i in range(total):
        page.wait_for_function(f"document.getElementById('progress').textContent.startsWith('Screen {i + 1} ')")
        page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")
        page.keyboard.press("j")


# Chromium blocks a page from a (here: faked) public origin from framing a loopback address (local network access
# checks); in production the HIT page on mturk.com frames the study's public https URL, which they do not affect.
LOCAL_FRAMING = "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessForNavigations"


def _browser(pw: Any, *args: str) -> Any:
    return pw.chromium.launch(executable_path=chromium(), headless=True, args=["--no-sandbox", *args])


def _holders(study: Path) -> list[tuple[str, str, str, int]]:
    con = sqlite3.connect(study / DB_FILE)
    try:
        return con.execute(
            "SELECT w.platform, w.external_id, w.assignment_id, COUNT(r.id) FROM workers w"
            " LEFT JOIN responses r USING (worker_id) GROUP BY w.worker_id ORDER BY w.consent_at"
        ).fetchall()
    finally:
        con.close()


def test_a_second_hit_in_the_same_browser_gets_no_completion_and_no_second_slot(study: Path) -> None:
    """The MTurk double-pay bug: HIT 2 opened in the browser that finished HIT 1 must not show HIT 1's code."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    set_design(study, platforms=("mturk",))
    total = len(load_plan(study).slots[0])
    with running_server(study) as url, sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.goto(url + "?" + _mturk_query(1, 0))
            page.check("#consent")
            page.click("#start")
            _practice(page)
            _answer_all(page, total)
            page.wait_for_selector("#done:not(.hidden)")
            assert page.text_content("#code") == load_spec(study).completion_code
            page.goto(url + "?" + _mturk_query(1, 1))  # the same worker accepts a second HIT, same browser
            page.wait_for_selector("#intro:not(.hidden)")
            assert page.is_hidden("#done") and not page.text_content("#code")
            page.check("#consent")
            page.click("#start")
            page.wait_for_selector("#error:not(.hidden)")
            assert "already taken part" in (page.text_content("#error") or "")
            assert page.is_hidden("#done") and page.is_hidden("#trial")
            page.goto(url + "?" + _mturk_query(2, 1))  # another worker on the same browser starts afresh
            page.check("#consent")
            page.click("#start")
            _practice(page)
            page.wait_for_function("document.getElementById('progress').textContent.startsWith('Screen 1 ')")
        finally:
            browser.close()
    holders = _holders(study)
    assert [(h[1], h[2], h[3]) for h in holders] == [
        (mturk_ids(1)["external_id"], mturk_ids(1, 0)["assignment_id"], total),
        (mturk_ids(2)["external_id"], mturk_ids(2, 1)["assignment_id"], 0),
    ]


def test_a_slot_exhaustion_attempt_is_rate_limited_and_a_real_worker_still_gets_a_slot(study: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    set_design(
        study,
        platforms=("prolific",),
        rate_limit={"starts_per_client": 3, "starts_per_identity": 2, "window_seconds": 6},
    )
    n_slots = load_plan(study).n_slots
    with running_server(study) as url, sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            bot = browser.new_page()
            bot.goto(url)
            codes = bot.evaluate(
                """async (n) => {
                    const post = (body) => fetch('api/start', {method: 'POST', headers: {'Content-Type':
                        'application/json'}, body: JSON.stringify(Object.assign({consent: true}, body))});
                    const out = {anonymous: (await post({})).status, forged: []};
                    for (let i = 0; i < n; i++) {
                        const hex = (i + 1).toString(16).padStart(24, '0');
                        const r = await post({platform: 'prolific', external_id: hex, study_id: hex,
                                              session_id: hex});
                        out.forged.push(r.status);
                    }
                    return out;
                }""",
                3 * n_slots,
            )
            assert codes["anonymous"] == 403
            assert codes["forged"].count(200) == 3 and set(codes["forged"][3:]) == {429}
            time.sleep(6.2)  # the window passes; a real participant arrives from the same address
            page = browser.new_page()
            page.goto(url + "?" + _prolific_query(99))
            page.check("#consent")
            page.click("#start")
            _practice(page)
            page.wait_for_function("document.getElementById('progress').textContent.startsWith('Screen 1 ')")
            slots = httpx.get(url + "api/admin/slots", headers={"Authorization": f"Bearer {ADMIN}"}).json()
        finally:
            browser.close()
    held = [s for s in slots if s["state"] == "held"]
    assert len(held) == 4 < n_slots and prolific_ids(99)["external_id"] in {s["external_id"] for s in held}


def test_the_html_question_preview_shows_the_study_and_its_instructions(study: Path) -> None:
    """MTurk shows the HIT with assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE before it is accepted: not blank."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    set_design(study, platforms=("mturk",), instructions="Pick the image with finer detail.")
    from srbench.study.export import HIT_TEMPLATE, MTURK, preview_html

    design = load_spec(study).design
    with running_server(study) as url, sync_api.sync_playwright() as pw:
        hit = HIT_TEMPLATE.format(submit=MTURK["sandbox"]["submit"], preview=preview_html(design))
        hit = hit.replace("${study_url}", url + "?group=0")
        browser = _browser(pw, LOCAL_FRAMING)
        try:
            page = browser.new_page()
            page.route("http://localhost:9/**", lambda route: route.fulfill(body=hit, content_type="text/html"))
            page.goto("http://localhost:9/q?assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE&hitId=" + "3" * 30)
            assert "finer detail" in (page.text_content("#description") or "")
            frame = page.frame_locator("#study")
            frame.locator("#preview:not(.hidden)").wait_for()
            assert "finer detail" in (frame.locator("#instructions").text_content() or "")
            assert frame.locator("#consent").is_disabled() and frame.locator("#start").is_disabled()
            assert page.is_disabled("#submitButton")
        finally:
            browser.close()
    assert not (study / DB_FILE).exists() or not _holders(study)
