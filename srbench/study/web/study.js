"use strict";
// Worker page of `srbench study serve`: consent, trials one by one (mouse or keys), completion code.
// Every answer is committed by the server before the next trial is shown; a retried answer is stored once.
// Display protocol (srbench.study.display, the spec's DisplayPolicy from GET api/display): every image pixel on
// exactly one device pixel (CSS size = natural size / devicePixelRatio, re-applied on zoom or resize), a screen
// check before consent and during the study (minimum viewport, room for the largest trial, phones blocked,
// optionally integer pixel ratios only), and an optional view where each candidate flips to the input.
(function () {
  const params = new URLSearchParams(location.search);
  const P = window.SrbenchPlatform;  // identity, saved session, design texts, completion (platform.js)
  const KEY = P.storageKey();
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(KEY);
  let current = null;
  let shownAt = 0;
  let busy = true;
  let info = null;
  let practiceAnswer = null;
  let screen = null;  // the images on screen: {reference, left, right} of a trial or the practice screen
  let display = null;  // {policy, columns, max_width, max_height, layout} from api/display
  let problem = null;  // why this screen cannot show the study, or null
  const flipped = { left: false, right: false };

  function isPhone() {
    const ua = navigator.userAgent || "";
    const mobileHint = navigator.userAgentData && navigator.userAgentData.mobile;
    const coarseOnly = matchMedia("(pointer: coarse)").matches && !matchMedia("(any-pointer: fine)").matches;
    return Boolean(mobileHint) || /Mobi|Android|iPhone|iPad|iPod/i.test(ua) || coarseOnly;
  }

  function screenProblem() {
    if (!display) return null;
    const p = display.policy, L = display.layout, dpr = window.devicePixelRatio || 1;
    if (p.block_phones && isPhone()) {
      return "This study needs a desktop or laptop computer: it compares fine image detail pixel for pixel, " +
             "which a phone or tablet screen cannot show. Please open the same link on a computer.";
    }
    if (p.pixel_ratio === "integer-only" && Math.abs(dpr - Math.round(dpr)) > 1e-6) {
      return "Your display is scaled to " + Math.round(dpr * 100) + " %; this study shows images pixel for pixel " +
             "and needs 100 % or 200 %. Reset the browser zoom (Ctrl+0 or Cmd+0) or set the display scaling to 100 %.";
    }
    const needW = Math.max(p.min_viewport_width,
                           display.columns * (display.max_width / dpr + L.frame) + (display.columns - 1) * L.gap +
                           2 * L.margin);
    const needH = Math.max(p.min_viewport_height, display.max_height / dpr + L.header + L.frame + 2 * L.margin);
    if (window.innerWidth < needW || window.innerHeight < needH) {
      return "Your browser window is " + window.innerWidth + " x " + window.innerHeight + " pixels; this study " +
             "needs at least " + Math.ceil(needW) + " x " + Math.ceil(needH) + " so that the images fit side by side " +
             "without being shrunk. Maximise the window or use a larger screen, and reset the zoom (Ctrl+0 or Cmd+0).";
    }
    return null;
  }

  function applyScreen() {
    const was = problem;
    problem = screenProblem();
    if (was && !problem && current && !busy) shownAt = performance.now();  // the trial was hidden: restart its clock
    $("screen-check").textContent = problem || "";
    $("screen-check").classList.toggle("hidden", !problem);
    document.body.classList.toggle("blocked", Boolean(problem));
    $("start").disabled = Boolean(problem) || !$("consent").checked;
    for (const id of ["ref", "img-left", "img-right"]) sizeImage($(id));
    alignAll();
  }

  function showError(msg) { $("error").textContent = msg; $("error").classList.remove("hidden"); }

  async function api(path, body) {
    const r = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                  body: JSON.stringify(body) });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { const e = new Error(data.detail || ("HTTP " + r.status)); e.status = r.status; throw e; }
    return data;
  }

  function section(name) {
    for (const s of ["intro", "trial", "done"]) $(s).classList.toggle("hidden", s !== name);
  }

  function sizeImage(img) {  // natural pixels -> CSS pixels: one image pixel per device pixel
    if (!img.dataset.width) return;
    const dpr = window.devicePixelRatio || 1;
    img.style.width = (Number(img.dataset.width) / dpr) + "px";
    img.style.height = (Number(img.dataset.height) / dpr) + "px";
  }

  // Layout positions are in CSS pixels, so at a ratio like 1.25 an image can start between two device pixels and
  // its first row and column get blended with the frame. A translation (no layout change) moves its top-left
  // corner onto the device-pixel grid.
  function alignImage(img) {
    img.style.transform = "";
    if (img.offsetParent === null) return;
    const dpr = window.devicePixelRatio || 1;
    const r = img.getBoundingClientRect();
    const dx = (Math.round(r.left * dpr) - r.left * dpr) / dpr;
    const dy = (Math.round(r.top * dpr) - r.top * dpr) / dpr;
    if (Math.abs(dx) > 1e-6 || Math.abs(dy) > 1e-6) img.style.transform = "translate(" + dx + "px, " + dy + "px)";
  }

  function alignAll() { for (const id of ["ref", "img-left", "img-right"]) alignImage($(id)); }

  function setImage(img, spec) {
    return new Promise((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error("image failed to load"));
      img.dataset.width = spec.width; img.dataset.height = spec.height;
      sizeImage(img);
      img.src = spec.url;
    });
  }

  function flip(side) {  // toggle view: the candidate shows the input in its place, and back
    if (busy || problem || !screen || !display || !display.policy.toggle_view) return;
    flipped[side] = !flipped[side];
    const img = $("img-" + side);
    img.src = flipped[side] ? screen.reference.url : screen[side].url;
    $("flip-" + side).firstChild.textContent = flipped[side] ? "show candidate (" : "show input (";
    img.alt = flipped[side] ? "input" : side;
  }

  async function showImages(images) {  // the trial section, hidden until the input and both candidates loaded
    screen = null;
    $("trial").style.visibility = "hidden";
    section("trial");
    for (const side of ["left", "right"]) {
      flipped[side] = false;
      $("img-" + side).alt = side;
      if (display && display.policy.toggle_view) $("flip-" + side).firstChild.textContent = "show input (";
    }
    await Promise.all([setImage($("ref"), images.reference), setImage($("img-left"), images.left),
                       setImage($("img-right"), images.right)]);
    screen = images;
  }

  async function show(state) {
    if (state.done) { finish(state); return; }
    busy = true;
    current = state.trial;
    await showImages(current);
    $("progress").textContent = "Screen " + (current.position + 1) + " of " + current.total;
    alignAll();
    $("trial").style.visibility = "visible";
    shownAt = performance.now();
    busy = false;
  }

  async function choose(side) {
    if (problem) return;
    if (practiceAnswer && !busy) { const f = practiceAnswer; practiceAnswer = null; f(side); return; }
    if (busy || !current) return;
    busy = true;
    const body = { token: token, trial_id: current.trial_id, choice: side,
                   rt_ms: Math.round(performance.now() - shownAt) };
    $("trial").style.visibility = "hidden";
    for (let attempt = 0; ; attempt++) {
      try { await show((await api("api/respond", body)).next); return; }
      catch (e) {
        if (e.status || attempt >= 5) { showError("Could not save your answer: " + e.message); return; }
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));  // network error: retry, stored once
      }
    }
  }

  function finish(state) {
    section("done");
    $("code").textContent = state.completion_code;
    P.finish(state, $("platform"));
  }

  // The practice screen (design `practice`): HR against a blurred copy, with feedback; nothing is recorded.
  async function practice(p) {
    busy = true;
    await showImages({ reference: p.ref, left: p.left, right: p.right });
    $("progress").textContent = "Practice screen (not recorded)";
    alignAll();
    $("trial").style.visibility = "visible";
    const side = await new Promise((resolve) => { practiceAnswer = resolve; busy = false; });
    busy = true;
    const note = $("practice-note");  // in the progress bar, in place of the question: the layout does not move
    note.textContent = side === p.answer ? "Correct: that is the sharp image." :
      "The other image was the sharp one. On check screens, pick the sharp image.";
    $("question").classList.add("hidden");
    note.classList.remove("hidden");
    await new Promise((r) => setTimeout(r, 1500));
    note.classList.add("hidden");
    $("question").classList.remove("hidden");
  }

  async function start() {
    $("start").disabled = true;
    const group = params.get("group");
    const body = Object.assign(P.identity(), { consent: true, token: token || "",
                                                 pixel_ratio: window.devicePixelRatio || 1 });
    if (group !== null && /^\d+$/.test(group)) body.group = parseInt(group, 10);
    try {
      const r = await api("api/start", body);
      token = r.token;
      localStorage.setItem(KEY, token);
      if (!r.resumed && info && info.practice && !r.next.done && r.next.trial.position === 0) {
        await practice(info.practice);
      }
      await show(r.next);
    } catch (e) { showError(e.message); $("start").disabled = false; }
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowLeft" || ev.key === "f" || ev.key === "F") choose("left");
    else if (ev.key === "ArrowRight" || ev.key === "j" || ev.key === "J") choose("right");
    else if (ev.key === "1") flip("left");
    else if (ev.key === "2") flip("right");
  });
  $("left").addEventListener("click", () => choose("left"));
  $("right").addEventListener("click", () => choose("right"));
  $("flip-left").addEventListener("click", () => flip("left"));
  $("flip-right").addEventListener("click", () => flip("right"));
  $("consent").addEventListener("change", applyScreen);
  $("start").addEventListener("click", start);
  window.addEventListener("resize", applyScreen);  // window size and browser zoom (which changes the pixel ratio)

  async function init() {
    fetch("api/info").then((r) => r.json()).then((d) => { info = d; P.renderIntro(d); }).catch(() => {});
    try {
      const r = await fetch("api/display");
      if (!r.ok) throw new Error("HTTP " + r.status);
      display = await r.json();
    } catch (e) { showError("Could not load the study settings: " + e.message + ". Please reload the page."); return; }
    if (display.policy.toggle_view) {
      $("ref-col").classList.add("hidden");
      for (const side of ["left", "right"]) $("flip-" + side).classList.remove("hidden");
    }
    applyScreen();
    if (P.preview()) {  // MTurk preview: read the instructions, do not start
      $("consent").disabled = true; $("preview").classList.remove("hidden");
    } else if (token) {  // resume after a reload or a server restart
      api("api/next", { token: token }).then(show).catch((e) => {
        localStorage.removeItem(KEY); token = null;
        if (e.status === 410) showError(e.message);
      });
    }
  }
  init();
})();
