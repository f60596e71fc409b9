"""The two HTML pages of `ladder demo --seats`: a seat's and Control's.

Each page is self-contained (inline CSS and JavaScript, nothing from the network) and the
same for every seat: it reads its token from its own address, asks the JSON interface
(docs/seats.md) every second and draws what it gets with `textContent` only, so no text
from a scenario file or a seat is ever read as HTML.
"""

from __future__ import annotations

STYLE = """
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; overflow-x: hidden; }
body { font: 20px/1.4 system-ui, sans-serif; background: #fafafa; color: #111;
       padding: 12px 20px; max-width: 1280px; overflow-wrap: anywhere; }
h1 { font-size: 30px; margin: 4px 0; }
h2 { font-size: 22px; margin: 14px 0 6px; border-bottom: 2px solid #ccc; }
.grid { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
.step { font-size: 24px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #ddd;
         vertical-align: top; }
button { font-size: 20px; padding: 6px 12px; margin: 3px 0; cursor: pointer;
         border: 2px solid #345; border-radius: 6px; background: #fff; }
button.move { display: block; width: 100%; text-align: left; }
button.chosen { background: #345; color: #fff; }
input[type=text] { font-size: 20px; width: 100%; padding: 6px; }
.status { font-weight: 600; color: #135; min-height: 1.4em; }
.error { color: #a00; font-weight: 600; min-height: 1.4em; }
.muted { color: #555; }
.bar { display: grid; grid-template-columns: 30% 38% 32%; gap: 6px; align-items: center; }
.track { position: relative; height: 18px; background: #e4e4e4; }
.fill { position: absolute; top: 0; bottom: 0; left: 0; background: #5a7fa8; }
.ci { position: absolute; top: 7px; height: 4px; background: #111; }
.bar span:last-child { white-space: nowrap; }
pre:empty { display: none; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 15px; background: #fff;
      border: 1px solid #ccc; padding: 6px; max-height: 420px; overflow-y: auto; }
"""

COMMON_JS = """
const token = location.pathname.split("/").pop();
function $(id) { return document.getElementById(id); }
function el(tag, text, attrs) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}
function fill(id, children) { const box = $(id); box.replaceChildren(...children); }
function pct(x) { return (100 * x).toFixed(1); }
function when(v) {
  return "Step " + v.step + " of " + v.horizon + (v.date ? " \\u00b7 " + v.date : "")
    + (v.ended ? " \\u00b7 the run has ended" : "");
}
function rows(obj) {
  return Object.entries(obj).map(([k, v]) => {
    const tr = el("tr"); tr.append(el("th", k), el("td", v)); return tr; });
}
function outlookBars(o) {
  const out = [el("p", "P(reach each stage by step " + o.horizon + "), n = " + o.n
    + " runs forked from step " + o.step + ", " + o.interval + " intervals", {"class": "muted"}),
    el("p", o.note, {"data-testid": "odds", "class": "muted"})];
  for (const r of o.rows) {
    const row = el("div", null, {"class": "bar", "data-testid": "bar-" + r.stage});
    const track = el("div", null, {"class": "track"});
    if (!r.reached) {
      track.append(el("div", null, {"class": "fill", "style": "width:" + pct(r.p) + "%"}),
        el("div", null, {"class": "ci", "style": "left:" + pct(r.lo) + "%;width:"
          + Math.max(0.5, 100 * (r.hi - r.lo)).toFixed(1) + "%"}));
    }
    const text = r.reached ? "reached" : pct(r.p) + "% [" + pct(r.lo) + ", " + pct(r.hi) + "]";
    row.append(el("span", r.stage), track, el("span", text));
    out.push(row);
  }
  return out;
}
async function call(path, body) {
  const init = body === undefined ? {cache: "no-store"} : {method: "POST", cache: "no-store",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
  let r, v;
  try { r = await fetch(path, init); v = await r.json(); }
  catch (e) { $("error").textContent = "cannot reach the server"; return null; }
  if (!r.ok) { $("error").textContent = v.error || ("error " + r.status); return null; }
  $("error").textContent = "";
  return v;
}
"""

SEAT_JS = """
const api = "/api/seat/" + token;
let shown = "";
function drawMoves(v) {
  const key = JSON.stringify([v.step, v.moves, v.pending && v.pending.action]);
  if (key === shown) return;
  shown = key;
  fill("moves", v.moves.map(m => {
    const b = el("button", m.number + ". " + m.action + ": " + m.description
      + (m.share === undefined ? "" : " (policy share " + pct(m.share) + "%)"),
      {"class": "move" + (v.pending && v.pending.action === m.action ? " chosen" : ""),
       "data-testid": "move-" + m.action, "data-action": m.action});
    b.onclick = () => send(m.action);
    return b;
  }));
}
function render(v) {
  document.title = "Seat: " + v.name;
  $("who").textContent = v.name + " (" + v.actor + ")";
  $("step").textContent = when(v);
  fill("perceived", rows(v.perceived));
  drawMoves(v);
  $("status").textContent = v.ended ? "the run has ended"
    : v.pending && v.pending.argued ? "argued move sent; waiting for Control's ruling and "
      + "the other seats (your move: " + v.pending.argued + "; ruling: " + v.pending.ruling + ")"
    : v.submitted ? "move sent; waiting for the other seats (your move: " + v.pending.action + ")"
    : (v.notice ? v.notice + ". " : "") + "choose your move for this turn";
  fill("history", v.history.slice().reverse().map(h => {
    const tr = el("tr", null, {"data-step": h.step});
    const seen = h.perceived ? Object.entries(h.perceived).map(([k, x]) => k + " " + x)
      .join("; ") : "";
    tr.append(el("td", h.when), el("td", h.move + " (" + h.how + ")"), el("td", h.why),
      el("td", seen));
    return tr;
  }));
  $("shared-state").hidden = !v.state;
  if (v.state) fill("state", rows({"stage": v.state.stage, [v.state.reads]: v.state.level}));
  $("shared-outlook").hidden = !v.outlook;
  if (v.outlook) fill("outlook", outlookBars(v.outlook));
}
async function send(action) {
  const v = await call(api + "/move", {action: action, why: $("why").value});
  if (v) { $("why").value = ""; poll(); }
}
async function argue() {
  const v = await call(api + "/argue", {text: $("argue").value});
  if (v) { $("argue").value = ""; poll(); }
}
$("argue-send").onclick = argue;
async function poll() { const v = await call(api); if (v) render(v); }
poll(); setInterval(poll, 1000);
"""

CONTROL_JS = """
const api = "/api/control/" + token;
function render(v) {
  document.title = "Control: " + v.id;
  $("title").textContent = "Control: " + v.scenario;
  $("step").textContent = when(v);
  fill("state", rows({"stage": v.state.stage, [v.state.reads]: v.state.level}));
  fill("seats", v.seats.map(s => {
    const tr = el("tr", null, {"data-testid": "seat-" + s.actor});
    const link = el("a", "open", {"href": s.path, "target": "_blank", "rel": "noreferrer"});
    const cell = el("td"); cell.append(link);
    tr.append(el("td", s.actor), el("td", s.submitted ? "move sent" : "waiting",
        {"data-testid": "status-" + s.actor}),
      el("td", !s.move ? "" : s.move.argued ? "argued: " + s.move.argued + " (ruling: "
        + s.move.ruling + "; rule " + s.actor + " p=P ... -- why)"
        : s.move.action + (s.move.why ? ": " + s.move.why : ""),
        {"data-testid": "hidden-" + s.actor}), cell);
    return tr;
  }));
  $("share-outlook").checked = v.shares.outlook;
  $("share-state").checked = v.shares.state;
  $("resolve").disabled = v.ended;
  fill("outlook", v.outlook ? outlookBars(v.outlook)
    : [el("p", "the run has ended: no outlook")]);
  fill("turns", v.turns.map(t => el("li", t.when + ": " + (t.actions
    ? Object.entries(t.actions).map(([a, x]) => a + (t.how[a] ? " (" + t.how[a] + ")" : "")
        + " " + x).join("; ") + ". Stage: " + t.stage
    : "Control's judgement (" + t.control + "): " + t.what + " -- " + t.why),
    {"data-step": t.step})));
  fill("record", v.record.slice().reverse().map(line => el("li", line)));
}
async function command() {
  const text = $("command").value;
  const v = await call(api + "/command", {text: text});
  if (v) { $("command-output").textContent = v.output; $("command").value = ""; poll(); }
}
async function poll() { const v = await call(api); if (v) render(v); }
$("run-command").onclick = command;
$("command").onkeydown = e => { if (e.key === "Enter") command(); };
$("resolve").onclick = async () => { if (await call(api + "/resolve", {})) poll(); };
for (const what of ["outlook", "state"]) {
  $("share-" + what).onchange = async e => {
    await call(api + "/share", {what: what, on: e.target.checked}); poll(); };
}
poll(); setInterval(poll, 1000);
"""

HEAD = ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta name=\"referrer\" content=\"no-referrer\">"
        "<title>{title}</title><style>" + STYLE + "</style></head>\n<body>\n")

SEAT_BODY = """
<h1>Seat: <span id="who" data-testid="who"></span></h1>
<div id="step" class="step" data-testid="step"></div>
<div id="error" class="error" role="alert" data-testid="error"></div>
<div class="grid">
<section>
<h2>Your move</h2>
<div id="moves" data-testid="moves"></div>
<label for="why">Why (one line, optional)</label>
<input type="text" id="why" data-testid="why" maxlength="300" autocomplete="off">
<label for="argue">Or argue a move outside your repertoire (Control rules on it)</label>
<input type="text" id="argue" data-testid="argue" maxlength="300" autocomplete="off">
<button id="argue-send" data-testid="argue-send">Argue this move</button>
<p id="status" class="status" data-testid="status"></p>
</section>
<section>
<h2>What you perceive</h2>
<table><tbody id="perceived" data-testid="perceived"></tbody></table>
<div id="shared-state" hidden><h2>Shared by Control: the true state</h2>
<table><tbody id="state" data-testid="state"></tbody></table></div>
<div id="shared-outlook" hidden><h2>Shared by Control: the outlook</h2>
<div id="outlook" data-testid="outlook"></div></div>
</section>
</div>
<h2>Your turns so far</h2>
<table><thead><tr><th>step</th><th>your move</th><th>why</th><th>you perceived after</th>
</tr></thead><tbody id="history" data-testid="history"></tbody></table>
"""

CONTROL_BODY = """
<h1 id="title" data-testid="title">Control</h1>
<div id="step" class="step" data-testid="step"></div>
<div id="error" class="error" role="alert" data-testid="error"></div>
<div class="grid">
<section>
<h2>True state</h2>
<table><tbody id="state" data-testid="state"></tbody></table>
<h2>Seats</h2>
<table><thead><tr><th>seat</th><th>status</th><th>hidden move</th><th>link</th></tr></thead>
<tbody id="seats" data-testid="seats"></tbody></table>
<p><button id="resolve" data-testid="resolve">Resolve turn</button>
<span class="muted">seats without a move follow their scenario policy</span></p>
<p><label><input type="checkbox" id="share-outlook" data-testid="share-outlook"> share the
outlook with the seats</label><br>
<label><input type="checkbox" id="share-state" data-testid="share-state"> share the true
state with the seats</label></p>
</section>
<section>
<h2>Outlook from here</h2>
<div id="outlook" data-testid="outlook"></div>
</section>
</div>
<h2>Command</h2>
<p class="muted">the commands of <code>ladder play</code>; <code>?</code> lists them</p>
<input type="text" id="command" data-testid="command" autocomplete="off">
<button id="run-command" data-testid="run-command">Run</button>
<pre id="command-output" data-testid="command-output"></pre>
<h2>Last turns</h2>
<ul id="turns" data-testid="turns"></ul>
<h2>At the table</h2>
<ul id="record" data-testid="record"></ul>
"""


def page(body: str, script: str, title: str) -> str:
    return (HEAD.replace("{title}", title) + body + "<script>" + COMMON_JS + script
            + "</script>\n</body></html>\n")


SEAT_PAGE = page(SEAT_BODY, SEAT_JS, "Seat")
CONTROL_PAGE = page(CONTROL_BODY, CONTROL_JS, "Control")
