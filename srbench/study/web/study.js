"use strict";
// Worker page of `srbench study serve`: consent, trials one by one (mouse or keys), completion code.
// Every answer is committed by the server before the next trial is shown; a retried answer is stored once.
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

  function setImage(img, spec) {
    return new Promise((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error("image failed to load"));
      img.width = spec.width; img.height = spec.height;
      img.style.width = spec.width + "px"; img.style.height = spec.height + "px";
      img.src = spec.url;
    });
  }

  async function show(state) {
    if (state.done) { finish(state); return; }
    busy = true;
    current = state.trial;
    $("trial").style.visibility = "hidden";
    section("trial");
    await Promise.all([setImage($("ref"), current.reference), setImage($("img-left"), current.left),
                       setImage($("img-right"), current.right)]);
    $("progress").textContent = "Screen " + (current.position + 1) + " of " + current.total;
    $("trial").style.visibility = "visible";
    shownAt = performance.now();
    busy = false;
  }

  async function choose(side) {
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
    $("trial").style.visibility = "hidden";
    section("trial");
    await Promise.all([setImage($("ref"), p.ref), setImage($("img-left"), p.left), setImage($("img-right"), p.right)]);
    $("progress").textContent = "Practice screen (not recorded)";
    $("trial").style.visibility = "visible";
    const side = await new Promise((resolve) => { practiceAnswer = resolve; busy = false; });
    busy = true;
    const note = $("practice-note");
    note.textContent = side === p.answer ? "Correct: that is the sharp image." :
      "The other image was the sharp one. On check screens, pick the sharp image.";
    note.classList.remove("hidden");
    await new Promise((r) => setTimeout(r, 1500));
    note.classList.add("hidden");
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
  });
  $("left").addEventListener("click", () => choose("left"));
  $("right").addEventListener("click", () => choose("right"));
  $("consent").addEventListener("change", () => { $("start").disabled = !$("consent").checked; });
  $("start").addEventListener("click", start);

  fetch("api/info").then((r) => r.json()).then((d) => { info = d; P.renderIntro(d); }).catch(() => {});
  if (P.preview()) {  // MTurk preview: read the instructions, do not start
    $("consent").disabled = true; $("preview").classList.remove("hidden");
  } else if (token) {  // resume after a reload or a server restart
    api("api/next", { token: token }).then(show).catch((e) => {
      localStorage.removeItem(KEY); token = null;
      if (e.status === 410) showError(e.message);
    });
  }
})();
