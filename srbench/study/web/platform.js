"use strict";
// Worker page, platform side (srbench study serve): who the link says the worker is, the saved session of that
// identity only, the study's texts from the design (GET api/info), and the hand-back to MTurk or Prolific.
window.SrbenchPlatform = (function () {
  const params = new URLSearchParams(location.search);
  const MTURK_SUBMIT = ["https://www.mturk.com", "https://workersandbox.mturk.com"];
  const REDIRECT_MS = 2000;

  function identity() {
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

  // One saved session per platform identity and session (MTurk assignment, Prolific session): a second HIT in
  // the same browser, or another worker on it, never picks up this one's token.
  function storageKey() {
    const id = identity();
    return ["srbench-study-token", location.pathname, id.platform, id.external_id,
            id.assignment_id || id.session_id || ""].join(":");
  }

  function preview() { return params.get("assignmentId") === "ASSIGNMENT_ID_NOT_AVAILABLE"; }

  function paragraphs(el, text) {
    el.textContent = "";
    for (const part of String(text || "").split(/\n\s*\n/)) {
      if (!part.trim()) continue;
      const p = document.createElement("p"); p.textContent = part.trim(); el.appendChild(p);
    }
  }

  function renderIntro(info) {
    const set = (id, text) => { const el = document.getElementById(id); if (el) el.textContent = text; };
    set("title", info.title); document.title = info.title;
    const ins = document.getElementById("instructions"); if (ins) paragraphs(ins, info.instructions);
    const con = document.getElementById("consent-text"); if (con) paragraphs(con, info.consent);
    set("minutes", String(info.minutes));
    set("pay", info.pay.amount + " " + info.pay.currency);
    const e = info.ethics, r = info.researcher;
    set("ethics", e.board ? "Approved by " + e.board + (e.approval ? " (" + e.approval + ")" : "") +
                            (e.contact ? "; concerns: " + e.contact : "") + "." : "");
    set("researcher", r.name ? "Researcher: " + r.name + (r.institution ? ", " + r.institution : "") +
                               (r.email ? " (" + r.email + ")" : "") + "." : "");
  }

  function finish(state, container) {
    const info = identity();
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
      container.appendChild(form);
    } else if (state.completion_url) {  // Prolific: back automatically, with a link if the redirect is blocked
      const a = document.createElement("a");
      a.href = state.completion_url; a.textContent = "Return to Prolific to finish";
      container.appendChild(a);
      setTimeout(() => location.replace(state.completion_url), REDIRECT_MS);
    }
  }

  return { identity, storageKey, preview, renderIntro, finish };
})();
