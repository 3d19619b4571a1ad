"""The SR display protocol as a worker meets it: 1:1 device pixels at pixel ratios 1, 1.25 and 2 (measured in the
DOM and by comparing screenshot pixels with the image files), a 1366 x 768 screen with the pair side by side and
nothing cut off, a too-small window, a phone, integer-only ratios and the toggle view.

Screenshots go to the test's tmp folder, and to ``$SRBENCH_SCREENSHOTS`` when set (CI artefacts).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from study_helpers import chromium, running_server

from srbench.errors import ConfigError, DataError
from srbench.study.create import create_study, load_plan
from srbench.study.design import StudyDesign
from srbench.study.display import DisplayPolicy, resolve_crop, stimulus_budget
from srbench.study.spec import IMAGES_DIR, SPEC_FILE, load_spec

SCREEN_1366 = {"width": 1366, "height": 768}
VIEWPORT_1366 = {"width": 1366, "height": 768 - 120}  # taskbar + browser chrome, as DisplayPolicy assumes


# --- the policy: pure functions ---------------------------------------------------------------------------------


def test_budget_fits_three_columns_or_two_with_the_toggle_view_into_1366x768() -> None:
    assert stimulus_budget(DisplayPolicy()) == (432, 558)  # (1366 - 16 - 24 - 30) // 3, 768 - 120 - 16 - 64 - 10
    assert stimulus_budget(DisplayPolicy(toggle_view=True)) == (659, 558)


def test_crop_policy_crops_only_what_does_not_fit() -> None:
    bsd = [(320, 480), (480, 320)]  # BSD100 x4, landscape and portrait (h, w)
    assert resolve_crop(DisplayPolicy(), bsd, 4) == 320  # 480 > 432 px: cropped to the smallest side
    assert resolve_crop(DisplayPolicy(toggle_view=True), bsd, 4) == 0  # two columns: full images fit
    assert resolve_crop(DisplayPolicy(), [(256, 256)], 4) == 0
    assert resolve_crop(DisplayPolicy(crop_policy="always"), [(256, 256)], 4) == 256
    assert resolve_crop(DisplayPolicy(crop_policy="always", crop_size=128), bsd, 4) == 128
    assert resolve_crop(DisplayPolicy(), [(1000, 1200)], 3) == 432  # min(432, 558) on the x3 grid
    with pytest.raises(DataError, match="do not fit a 1366x768 screen"):
        resolve_crop(DisplayPolicy(crop_policy="never"), bsd, 4)
    with pytest.raises(DataError, match="multiple of the scale"):
        resolve_crop(DisplayPolicy(crop_policy="always", crop_size=130), bsd, 4)
    with pytest.raises(ConfigError, match="crop_policy"):
        DisplayPolicy.from_dict({"crop_policy": "sometimes"})


def test_the_server_gives_the_page_the_policy_and_the_largest_image(study: Path) -> None:
    from fastapi.testclient import TestClient
    from study_helpers import ADMIN

    from srbench.study.server import make_app

    with TestClient(make_app(study, ADMIN)) as client:
        d = client.get("/api/display").json()
    assert d["policy"] == load_spec(study).display.to_dict() and d["columns"] == 3
    assert (d["max_width"], d["max_height"]) == (32, 32)  # the demo study's 32 px crops
    assert d["layout"] == {"margin": 8, "gap": 12, "frame": 10, "header": 64}


# --- the page in a real browser -----------------------------------------------------------------------------------


def _noise_dataset(folder: Path) -> Path:
    """Two BSD100-sized images (landscape, portrait) of noise: any resampling on screen changes their pixels."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for name, (h, w) in {"land": (321, 481), "port": (481, 321)}.items():
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"{name}.png")
    return folder


def _make(folder: Path, hr: Path, display: DisplayPolicy) -> Path:
    create_study(
        folder,
        str(hr),
        4,
        ["bicubic", "nearest"],
        workers_per_pair=2,
        trials_per_worker=2,
        sentinels_per_worker=1,
        repeats_per_worker=0,
        seed=1,
        display=display,
        design=StudyDesign(platforms=("web",)),  # a lab study: the page is opened without platform IDs
    )
    return folder


@pytest.fixture(scope="module")
def bsd_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("display")
    hr = _noise_dataset(root / "hr")
    return {
        "default": _make(root / "default", hr, DisplayPolicy()),
        "toggle": _make(root / "toggle", hr, DisplayPolicy(toggle_view=True)),
    }


def test_create_refuses_full_images_that_do_not_fit_when_crops_are_declared_off(tmp_path: Path) -> None:
    hr = _noise_dataset(tmp_path / "hr")
    with pytest.raises(DataError, match="do not fit a 1366x768 screen"):
        _make(tmp_path / "never", hr, DisplayPolicy(crop_policy="never"))
    assert not (tmp_path / "never" / SPEC_FILE).exists()


@pytest.fixture
def bsd_like(bsd_templates: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Fresh copies (own database) of the two studies."""
    return {k: Path(shutil.copytree(v, tmp_path / "studies" / k)) for k, v in bsd_templates.items()}


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[dev])")
    exe = chromium()
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        b.devices = pw.devices  # type: ignore[attr-defined]
        try:
            yield b
        finally:
            b.close()


@contextmanager
def _page(browser: Any, study: Path, **context: Any) -> Iterator[tuple[Any, str]]:
    with running_server(study) as url:
        ctx = browser.new_context(**context)
        try:
            yield ctx.new_page(), url
        finally:
            ctx.close()


def _shot(page: Any, tmp_path: Path, name: str) -> np.ndarray:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("SRBENCH_SCREENSHOTS"):
        out = Path(os.environ["SRBENCH_SCREENSHOTS"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, out / path.name)
    return np.asarray(Image.open(path).convert("RGB"))


def _start(page: Any, url: str, practice: Callable[[], object] | None = None) -> None:
    """Consent, answer the practice screen (after ``practice()`` looked at it), wait for the first trial."""
    page.goto(url)
    page.wait_for_function("document.getElementById('start') !== null && window.devicePixelRatio > 0")
    page.check("#consent")
    page.click("#start")
    page.wait_for_function("document.getElementById('progress').textContent.startsWith('Practice')")
    page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")
    if practice is not None:
        practice()
    page.keyboard.press("f")  # the practice screen (not recorded), then the first trial
    page.wait_for_function("document.getElementById('progress').textContent.startsWith('Screen 1 ')")
    page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")


MEASURE = """() => ['ref', 'img-left', 'img-right'].map(id => document.getElementById(id)).filter(
    im => im.offsetParent !== null).map(im => {
        const r = im.getBoundingClientRect();
        return {src: new URL(im.src).pathname, nw: im.naturalWidth, nh: im.naturalHeight, x: r.x, y: r.y,
                w: r.width, h: r.height, dpr: window.devicePixelRatio, vw: window.innerWidth, vh: window.innerHeight,
                sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight};
    })"""


def _check_one_to_one(page: Any, study: Path, shot: np.ndarray, columns: int) -> list[dict[str, Any]]:
    """Every shown image covers exactly naturalWidth x naturalHeight device pixels, lies inside the viewport with
    no scrolling, sits in one row, and the screenshot holds the file's pixels unchanged."""
    shown = page.evaluate(MEASURE)
    assert len(shown) == columns
    assert len({round(m["y"]) for m in shown}) == 1  # side by side, one row
    for m in shown:
        dpr = m["dpr"]
        assert m["w"] * dpr == pytest.approx(m["nw"], abs=0.01) and m["h"] * dpr == pytest.approx(m["nh"], abs=0.01)
        assert m["x"] >= 0 and m["y"] >= 0 and m["x"] + m["w"] <= m["vw"] and m["y"] + m["h"] <= m["vh"]
        assert m["sw"] <= m["vw"] and m["sh"] <= m["vh"]  # nothing cut off, no scroll bars
        want = np.asarray(Image.open(study / IMAGES_DIR / m["src"].split("/images/", 1)[1]).convert("RGB"))
        x0, y0 = round(m["x"] * dpr), round(m["y"] * dpr)
        matches = [
            np.array_equal(shot[y0 + dy : y0 + dy + m["nh"], x0 + dx : x0 + dx + m["nw"]], want)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ]
        assert any(matches), f"screenshot pixels differ from {m['src']} at pixel ratio {dpr}"
    return shown


@pytest.mark.parametrize(
    ("dpr", "viewport"),
    [
        (1.0, VIEWPORT_1366),  # a 1366 x 768 screen at 100 %
        (1.25, {"width": 1536, "height": 744}),  # a 1920 x 1080 laptop at 125 % (Windows default)
        (2.0, {"width": 1280, "height": 680}),  # a 2560 x 1440 display at 200 %
    ],
)
def test_images_are_shown_at_one_device_pixel_per_image_pixel(
    browser: Any, bsd_like: dict[str, Path], tmp_path: Path, dpr: float, viewport: dict[str, int]
) -> None:
    study = bsd_like["default"]
    assert load_spec(study).crop == 320  # auto crop policy: 480-pixel-wide BSD images do not fit three columns
    with _page(browser, study, viewport=viewport, device_scale_factor=dpr, screen=SCREEN_1366) as (page, url):
        _start(page, url, lambda: _check_one_to_one(page, study, _shot(page, tmp_path, f"practice-dpr{dpr}"), 3))
        shot = _shot(page, tmp_path, f"trial-dpr{dpr}-{viewport['width']}x{viewport['height']}")
        assert shot.shape[:2] == (round(viewport["height"] * dpr), round(viewport["width"] * dpr))
        shown = _check_one_to_one(page, study, shot, columns=3)
        assert {(m["nw"], m["nh"]) for m in shown} == {(320, 320)}
        page.keyboard.press("f")  # the next trial is laid out the same way
        page.wait_for_function("document.getElementById('progress').textContent.startsWith('Screen 2 ')")
        page.wait_for_function("document.getElementById('trial').style.visibility === 'visible'")
        _check_one_to_one(page, study, _shot(page, tmp_path, f"trial2-dpr{dpr}"), columns=3)


def test_browser_zoom_keeps_one_to_one_pixels(browser: Any, bsd_like: dict[str, Path], tmp_path: Path) -> None:
    study = bsd_like["default"]
    with _page(browser, study, viewport={"width": 1600, "height": 900}, device_scale_factor=1) as (page, url):
        _start(page, url)
        cdp = page.context.new_cdp_session(page)  # what Ctrl+/- does: a new pixel ratio and a resize event
        metrics = {"width": 1600, "height": 900, "deviceScaleFactor": 1.5, "mobile": False}
        cdp.send("Emulation.setDeviceMetricsOverride", metrics)
        page.wait_for_function("window.devicePixelRatio === 1.5")
        page.evaluate("window.dispatchEvent(new Event('resize'))")
        shown = page.evaluate(MEASURE)
        assert all(m["w"] * 1.5 == pytest.approx(m["nw"], abs=0.01) for m in shown)


def test_a_window_too_small_is_refused_before_consent_until_it_is_enlarged(
    browser: Any, bsd_like: dict[str, Path], tmp_path: Path
) -> None:
    with _page(browser, bsd_like["default"], viewport={"width": 900, "height": 600}) as (page, url):
        page.goto(url)
        page.wait_for_selector("#screen-check:not(.hidden)")
        text = page.text_content("#screen-check")
        assert "900 x 600" in text and "at least 1030 x 560" in text  # 3 x (320 + 10) + 2 x 12 + 2 x 8
        page.check("#consent")
        assert page.is_disabled("#start")
        _shot(page, tmp_path, "too-small-900x600")
        page.set_viewport_size(VIEWPORT_1366)  # maximising the window lifts the block
        page.wait_for_selector("#screen-check.hidden", state="attached")
        assert page.is_enabled("#start")


def test_a_phone_is_blocked_with_an_explanation(browser: Any, bsd_like: dict[str, Path], tmp_path: Path) -> None:
    phone = browser.devices["Pixel 5"]
    with _page(browser, bsd_like["default"], **phone) as (page, url):
        page.goto(url)
        page.wait_for_selector("#screen-check:not(.hidden)")
        assert "phone" in page.text_content("#screen-check")
        page.check("#consent")
        assert page.is_disabled("#start")
        _shot(page, tmp_path, "phone-pixel5")


def test_integer_only_policy_refuses_a_fractional_ratio(
    browser: Any, bsd_like: dict[str, Path], tmp_path: Path
) -> None:
    study = bsd_like["default"]
    spec = json.loads((study / SPEC_FILE).read_text())
    spec["design"]["display"]["pixel_ratio"] = "integer-only"
    (study / SPEC_FILE).write_text(json.dumps(spec))
    with _page(browser, study, viewport={"width": 1536, "height": 744}, device_scale_factor=1.25) as (page, url):
        page.goto(url)
        page.wait_for_selector("#screen-check:not(.hidden)")
        assert "scaled to 125 %" in page.text_content("#screen-check")
    with _page(browser, study, viewport={"width": 1280, "height": 680}, device_scale_factor=2) as (page, url):
        _start(page, url)  # 200 % is an integer ratio: allowed
        _check_one_to_one(page, study, _shot(page, tmp_path, "integer-only-dpr2"), columns=3)


def test_toggle_view_shows_full_images_side_by_side_and_flips_each_to_the_input(
    browser: Any, bsd_like: dict[str, Path], tmp_path: Path
) -> None:
    study = bsd_like["toggle"]
    assert load_spec(study).crop == 0  # two columns: full 480 x 320 and 320 x 480 images fit 1366 x 768
    plan = load_plan(study)
    with _page(browser, study, viewport=VIEWPORT_1366, device_scale_factor=1, screen=SCREEN_1366) as (page, url):
        _start(page, url)
        shown = _check_one_to_one(page, study, _shot(page, tmp_path, "toggle-1366x768"), columns=2)
        assert max(max(m["nw"], m["nh"]) for m in shown) == 480
        stimulus = next(
            s for s, v in plan.images.items() if v["ref"] in shown[0]["src"] or any(v[k] in shown[0]["src"] for k in v)
        )
        ref = plan.images[stimulus]["ref"]
        page.keyboard.press("1")
        page.wait_for_function("document.getElementById('img-left').alt === 'input'")
        flipped = page.evaluate(MEASURE)
        assert flipped[0]["src"].endswith(ref) and flipped[1]["src"] == shown[1]["src"]
        _check_one_to_one(page, study, _shot(page, tmp_path, "toggle-flipped"), columns=2)
        page.click("#flip-left")
        page.wait_for_function("document.getElementById('img-left').alt === 'left'")
        assert page.evaluate(MEASURE)[0]["src"] == shown[0]["src"]
