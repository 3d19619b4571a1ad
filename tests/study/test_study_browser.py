"""A real headless Chromium (Debian ``chromium``, driven by Playwright) completes a study as a worker would.

Skips with a reason when no chromium binary is found; under ``SRBENCH_REQUIRE_SHARED=1`` (CI, which installs
chromium in ``.ci/run``) the conftest turns that skip into a failure, like every other skip.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from study_helpers import chromium, running_server

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
            page.goto(url + "?PROLIFIC_PID=browser01&STUDY_ID=s&SESSION_ID=x")
            assert page.is_disabled("#start")
            page.check("#consent")
            page.click("#start")
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
        finally:
            browser.close()
    assert code == load_spec(study).completion_code
    assert link is not None and link.endswith("cc=" + code)
    con = sqlite3.connect(study / DB_FILE)
    rows = con.execute(
        "SELECT r.choice, r.rt_ms, w.platform, w.external_id FROM responses r JOIN workers w USING (worker_id)"
        " ORDER BY r.position"
    ).fetchall()
    con.close()
    assert [r[0] for r in rows] == pressed
    assert all(r[1] >= 0 for r in rows)
    assert {(r[2], r[3]) for r in rows} == {("prolific", "browser01")}
