"use strict";
// Worker page of `srbench study serve`: consent, trials one by one (mouse or keys), completion code.
// Every answer is committed by the server before the next trial is shown; a retried answer is stored once.
(function () {
  const params = new URLSearchParams(location.search);
  const KEY = "srbench-study-token:" + location.pathname;
  const MTURK_SUBMIT = ["https://www.mturk.com", "https://workersandbox.mturk.com"];
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(KEY);
  let current = null;
  let shownAt = 0;
  let busy = true;

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
  });
  $("left").addEventListener("click", () => choose("left"));
  $("right").addEventListener("click", () => choose("right"));
  $("consent").addEventListener("change", () => { $("start").disabled = !$("consent").checked; });
  $("start").addEventListener("click", start);

  if (params.get("assignmentId") === "ASSIGNMENT_ID_NOT_AVAILABLE") {  // MTurk preview: look, do not start
    $("consent").disabled = true; $("preview").classList.remove("hidden");
  } else if (token) {  // resume after a reload or a server restart
    api("api/next", { token: token }).then(show).catch(() => { localStorage.removeItem(KEY); token = null; });
  }
})();
