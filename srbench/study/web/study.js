"use strict";
// Worker page of `srbench study serve`: consent, trials one by one (mouse or keys), completion code.
// Every answer is committed by the server before the next trial is shown; a retried answer is stored once.
// Display protocol (srbench.study.display, the spec's DisplayPolicy from GET api/display): every image pixel on
// exactly one device pixel (CSS size = natural size / devicePixelRatio, re-applied on zoom or resize), a screen
// check before consent and during the study (minimum viewport, room for the largest trial, phones blocked,
// optionally integer pixel ratios only), and an optional view where each candidate flips to the input.
(function () {
  const params = new URLSearchParams(location.search);
  const KEY = "srbench-study-token:" + location.pathname;
  const MTURK_SUBMIT = ["https://www.mturk.com", "https://workersandbox.mturk.com"];
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(KEY);
  let current = null;
  let shownAt = 0;
  let busy = true;
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

  function platformInfo() {
    if (params.get("PROLIFIC_PID")) {
      return { platform: "prolific", external_id: params.get("PROLIFIC_PID"),
               study_id: params.get("STUDY_ID") || "", session_id: params.get("SESSION_ID") || "" };
    }
    if (params.get("workerId")) {
      return { platform: "mturk", external_id: params.get("workerId"),
               assignment_id: params.get("assignmentId") || "", hit_id: params.get("hitId") || "" };
    }
    return { platform: "web", external_id: "" };
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
    if (busy || !current || !display || !display.policy.toggle_view) return;
    flipped[side] = !flipped[side];
    const img = $("img-" + side);
    img.src = flipped[side] ? current.reference.url : current[side].url;
    $("flip-" + side).firstChild.textContent = flipped[side] ? "show candidate (" : "show input (";
    img.alt = flipped[side] ? "input" : side;
  }

  async function show(state) {
    if (state.done) { finish(state); return; }
    busy = true;
    current = state.trial;
    $("trial").style.visibility = "hidden";
    section("trial");
    for (const side of ["left", "right"]) {
      flipped[side] = false;
      if (display && display.policy.toggle_view) $("flip-" + side).firstChild.textContent = "show input (";
    }
    await Promise.all([setImage($("ref"), current.reference), setImage($("img-left"), current.left),
                       setImage($("img-right"), current.right)]);
    $("progress").textContent = "Screen " + (current.position + 1) + " of " + current.total;
    alignAll();
    $("trial").style.visibility = "visible";
    shownAt = performance.now();
    busy = false;
  }

  async function choose(side) {
    if (busy || !current || problem) return;
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
    const info = platformInfo();
    const votes = JSON.stringify(state.votes);
    if (window.parent !== window) {
      window.parent.postMessage({ type: "srbench-study-complete", completion_code: state.completion_code,
                                  votes: votes }, "*");
    }
    const submitTo = params.get("turkSubmitTo");
    if (info.platform === "mturk" && submitTo && MTURK_SUBMIT.includes(submitTo.replace(/\/$/, ""))) {
      const form = document.createElement("form");
      form.method = "POST";
      form.action = submitTo.replace(/\/$/, "") + "/mturk/externalSubmit";
      for (const [k, v] of [["assignmentId", info.assignment_id], ["completion_code", state.completion_code],
                            ["votes", votes]]) {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = k; input.value = v; form.appendChild(input);
      }
      const b = document.createElement("button"); b.textContent = "Submit the HIT"; form.appendChild(b);
      $("platform").appendChild(form);
    } else if (state.completion_url) {
      const a = document.createElement("a");
      a.href = state.completion_url; a.textContent = "Return to Prolific to finish";
      $("platform").appendChild(a);
    }
  }

  async function start() {
    $("start").disabled = true;
    const group = params.get("group");
    const body = Object.assign(platformInfo(), { consent: true, token: token || "",
                                                 pixel_ratio: window.devicePixelRatio || 1 });
    if (group !== null && /^\d+$/.test(group)) body.group = parseInt(group, 10);
    try {
      const r = await api("api/start", body);
      token = r.token;
      localStorage.setItem(KEY, token);
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
    if (params.get("assignmentId") === "ASSIGNMENT_ID_NOT_AVAILABLE") {  // MTurk preview: look, do not start
      $("consent").disabled = true; $("preview").classList.remove("hidden");
    } else if (token) {  // resume after a reload or a server restart
      api("api/next", { token: token }).then(show).catch(() => { localStorage.removeItem(KEY); token = null; });
    }
  }
  init();
})();
