// guiagent's live UI. Everything shown here comes from the model, the page the agent works
// on, or someone's run folder: it goes into the document as text (textContent) or as
// attributes of elements built here, never as markup.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Guiagent": "1" },
    body: JSON.stringify(body || {}),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleString();
}

// ---- home: start a run, list runs ----

async function showHome() {
  $("home").hidden = false;
  const response = await fetch("/api/runs", { credentials: "same-origin" });
  const data = await response.json();
  $("root").textContent = `in ${data.root}`;
  const select = $("protocols");
  for (const name of data.protocols) select.append(el("option", { value: name }, name));
  const liveList = $("live-runs");
  for (const run of data.live) {
    liveList.append(el("li", {}, el("a", { href: `/live/${encodeURIComponent(run.id)}` }, run.id),
      " ", el("span", { class: "badge" }, run.state), " ", run.task));
  }
  if (!data.live.length) liveList.append(el("li", { class: "dim" }, "none"));
  if (!data.evals.length) $("evals").tBodies[0].append(el("tr", {}, el("td", { class: "dim" }, "none")));
  const past = $("past-runs").tBodies[0];
  for (const run of data.runs) {
    past.append(el("tr", {},
      el("td", {}, el("a", { href: run.report, target: "_blank", rel: "noopener" }, run.id)),
      el("td", {}, clock(run.started_at)), el("td", {}, run.outcome), el("td", {}, run.steps),
      el("td", {}, run.seconds.toFixed(1)), el("td", {}, run.task)));
  }
  const evals = $("evals").tBodies[0];
  for (const result of data.evals) {
    const rate = typeof result.success_rate === "number" ? `${Math.round(result.success_rate * 100)}%` : "";
    evals.append(el("tr", {},
      el("td", {}, el("a", { href: result.report, target: "_blank", rel: "noopener" }, result.id)),
      el("td", {}, result.episodes ?? ""), el("td", {}, result.succeeded ?? ""), el("td", {}, rate)));
  }
  for (const problem of data.unreadable) $("unreadable").append(el("li", {}, problem));

  $("start-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = {};
    for (const [key, value] of form.entries()) if (value !== "") body[key] = value;
    for (const key of ["max_steps"]) if (key in body) body[key] = parseInt(body[key], 10);
    for (const key of ["max_seconds", "confirm_timeout"]) if (key in body) body[key] = parseFloat(body[key]);
    if (body.target === "desktop") delete body.url; else delete body.app;
    $("start").disabled = true;
    $("start-error").textContent = "";
    try {
      const started = await post("/api/runs", body);
      window.location.assign(started.page);
    } catch (error) {
      $("start-error").textContent = error.message;
      $("start").disabled = false;
    }
  });
}

// ---- live view ----

const live = { id: null, version: null, screenIndex: null, screenAfter: null, marks: null, totals: new Map(),
               taken: false, confirmId: null, confirmTimer: null, typed: "", typeTimer: null,
               shown: null };
const SVG = "http://www.w3.org/2000/svg";

function api(command) {
  return `/api/runs/${encodeURIComponent(live.id)}/${command}`;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function drawMarks() {
  const layer = $("marks");
  layer.replaceChildren();
  const step = live.marks;
  if (!step || (step.index !== live.screenIndex && step.index !== live.screenAfter)) return;
  const unit = Math.max(4, (live.width || 1280) / 120);
  for (const [x, y] of step.predicted) {
    layer.append(svg("circle", { cx: x, cy: y, r: unit * 2, fill: "none", stroke: "#0a84ff",
                                 "stroke-width": unit / 2.5, "stroke-dasharray": unit, class: "predicted" }));
  }
  for (const [x, y] of step.executed) {
    layer.append(svg("circle", { cx: x, cy: y, r: unit * 1.2, fill: "none", stroke: "#e5183c",
                                 "stroke-width": unit / 2.5, class: "executed" }));
    layer.append(svg("circle", { cx: x, cy: y, r: unit / 2.5, fill: "#e5183c" }));
  }
}

function showScreen(event) {
  live.version = event.version;
  live.screenIndex = event.index;
  live.screenAfter = event.after;
  live.width = event.width;
  $("marks").setAttribute("viewBox", `0 0 ${event.width} ${event.height}`);
  $("shot").setAttribute("src", api(`screen/${event.version}`));
  Object.assign($("shot").dataset, { version: event.version, width: event.width, height: event.height });
  drawMarks();
}

function showStep(step) {
  const item = el("li", { class: step.actor, id: `step-${step.index}`, "data-actor": step.actor },
    el("span", { class: "actor" }, step.actor === "model" ? `#${step.index}` : `#${step.index} ${step.actor}`),
    el("code", {}, step.call || "(no action)"));
  if (step.result) item.append(" ", el("span", { class: "dim" }, step.result));
  if (step.error) item.append(el("div", { class: "error" }, step.error));
  for (const note of step.notes) item.append(el("div", { class: "dim" }, note));
  const t = step.timings, u = step.usage;
  const parts = [];
  if (t.model !== undefined) parts.push(`model ${t.model.toFixed(2)}s`);
  if (t.execute !== undefined) parts.push(`execute ${t.execute.toFixed(2)}s`);
  if (u.total_tokens) parts.push(`${u.prompt_tokens} + ${u.completion_tokens} tokens`);
  item.append(el("div", { class: "meta" }, parts.join(" · ")));
  const old = $(`step-${step.index}`);
  if (old) old.replaceWith(item); else $("steps").prepend(item);
  if (step.actor === "model") {
    $("thinking").textContent = step.thinking || step.answer || "";
    $("thinking-step").textContent = `step ${step.index}`;
  }
  live.marks = step;
  drawMarks();
  live.totals.set(step.index, step);
  let tokens = 0, model = 0;
  for (const s of live.totals.values()) { tokens += s.usage.total_tokens; model += s.timings.model || 0; }
  $("totals").textContent = `${live.totals.size} steps · model ${model.toFixed(1)}s · ${tokens} tokens`;
}

function showState(event) {
  const state = event.state;
  const badge = $("state");
  badge.textContent = state;
  badge.className = `badge ${state.replace(/ /g, "-")}`;
  live.taken = Boolean(event.taken);
  const over = state === "finished";
  $("pause").disabled = over || event.paused;
  $("resume").disabled = over || !event.paused || event.taken;
  $("take-over").disabled = over || live.taken;
  $("give-back").disabled = over || !event.taken;
  $("stop").disabled = over || state === "stopping";
  $("takeover-bar").hidden = !live.taken;
  $("screen").classList.toggle("taken", live.taken);
}

function showConfirm(event) {
  live.confirmId = event.id;
  $("confirm-question").textContent = event.question;
  $("confirm").hidden = false;
  clearInterval(live.confirmTimer);
  const tick = () => {
    $("confirm-left").textContent = String(Math.max(0, Math.round(event.deadline - Date.now() / 1000)));
  };
  tick();
  live.confirmTimer = setInterval(tick, 1000);
}

function hideConfirm(event) {
  if (event.id !== live.confirmId) return;
  $("confirm").hidden = true;
  clearInterval(live.confirmTimer);
  live.confirmId = null;
}

function showFinished(event) {
  $("finished").hidden = false;
  $("outcome").textContent = event.outcome;
  $("answer").textContent = event.answer || "";
  $("run-error").textContent = event.error || "";
  if (event.report) {
    $("report").setAttribute("href", event.report);
    $("report").hidden = false;
  }
  const totals = event.totals || {};
  if (totals.usage) {
    $("totals").textContent = `${totals.steps} steps · ${totals.seconds}s · ${totals.usage.total_tokens} tokens`;
  }
  $("confirm").hidden = true;
}

const handlers = {
  run: (event) => { $("task").textContent = event.task; },
  state: showState, screen: showScreen, step: showStep, confirm: showConfirm,
  confirm_done: hideConfirm, finished: showFinished,
  step_start: (event) => {
    $("thinking-step").textContent = `step ${event.index}`;
    $("thinking").textContent = "";
  },
  delta: (event) => {
    if (event.kind === "thinking" || event.kind === "answer") $("thinking").append(event.text);
  },
};

// A person's actions are sent one after the other, so they run in the order they were made.
let sending = Promise.resolve();

function act(body) {
  $("act-error").textContent = "";
  sending = sending.then(() => post(api("act"), body))
    .catch((error) => { $("act-error").textContent = error.message; });
}

function flushTyped() {
  clearTimeout(live.typeTimer);
  if (live.typed) act({ kind: "type", text: live.typed });
  live.typed = "";
}

const KEY_NAMES = { " ": "space", "ArrowUp": "up", "ArrowDown": "down", "ArrowLeft": "left",
                    "ArrowRight": "right", "Escape": "escape", "Enter": "enter", "Tab": "tab",
                    "Backspace": "backspace", "Delete": "delete", "PageUp": "pageup",
                    "PageDown": "pagedown", "Home": "home", "End": "end" };

function onScreenKey(event) {
  if (!live.taken || ["Control", "Shift", "Alt", "Meta"].includes(event.key)) return;
  event.preventDefault();
  const modified = event.ctrlKey || event.altKey || event.metaKey;
  if (event.key.length === 1 && !modified) {
    live.typed += event.key;
    clearTimeout(live.typeTimer);
    live.typeTimer = setTimeout(flushTyped, 700);
    return;
  }
  flushTyped();
  const name = KEY_NAMES[event.key] || event.key.toLowerCase();
  const mods = [event.ctrlKey && "ctrl", event.altKey && "alt", event.shiftKey && name.length > 1 && "shift",
                event.metaKey && "meta"].filter(Boolean);
  act({ kind: "key", keys: [...mods, name].join("+") });
}

// The screenshot on display, once it has loaded: a click is placed on what the person saw.
// (While a newer one loads, Chromium reports naturalWidth 0: a click measured by it went to 0,0.)
function onShotLoad() {
  const data = $("shot").dataset;  // set with the src: a superseded load fires no event
  live.shown = { version: Number(data.version), width: Number(data.width), height: Number(data.height) };
}

function onScreenClick(event) {
  const shown = live.shown;
  if (!live.taken || shown === null) return;
  const box = $("shot").getBoundingClientRect();
  if (!box.width || !box.height) return;
  const x = (event.clientX - box.left) / box.width * shown.width;
  const y = (event.clientY - box.top) / box.height * shown.height;
  const kind = $("click-kind").value;
  $("screen").focus();
  if (kind.startsWith("scroll-")) {
    act({ kind: "scroll", direction: kind.slice(7), x, y, version: shown.version });
  } else {
    act({ kind, x, y, version: shown.version });
  }
}

function showLive(runId) {
  live.id = runId;
  $("live").hidden = false;
  for (const command of ["pause", "resume", "take-over", "give-back", "stop"]) {
    $(command).addEventListener("click", () => {
      post(api(command)).catch((error) => { $("act-error").textContent = error.message; });
    });
  }
  for (const [button, allow] of [["approve", true], ["reject", false]]) {
    $(button).addEventListener("click", () => {
      post(api("confirm"), { id: live.confirmId, allow })
        .catch((error) => { $("act-error").textContent = error.message; });
    });
  }
  $("shot").addEventListener("load", onShotLoad);
  $("screen").addEventListener("click", onScreenClick);
  $("screen").addEventListener("keydown", onScreenKey);
  $("type-send").addEventListener("click", () => {
    if ($("type-text").value) act({ kind: "type", text: $("type-text").value });
    $("type-text").value = "";
  });
  $("key-send").addEventListener("click", () => {
    if ($("key-combo").value) act({ kind: "key", keys: $("key-combo").value });
  });
  let opened = false;
  const source = new EventSource(api("events"));
  source.onopen = () => { opened = true; };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const handle = handlers[event.type];
    if (handle) handle(event);
    if (event.type === "finished") source.close();  // no reconnecting to a finished run
  };
  source.onerror = () => {
    if (!opened) {
      $("state").textContent = "not live";
      $("top-note").textContent = "This run is not running in this server; its report is in the run list.";
      source.close();
    }
  };
}

document.addEventListener("DOMContentLoaded", () => {
  const match = window.location.pathname.match(/^\/live\/([^/]+)$/);
  if (match) showLive(decodeURIComponent(match[1])); else showHome();
});
