#include "web/statuspage.h"

#include <QCryptographicHash>
#include <QStringBuilder>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

// TODO: the page's texts are English only; they bypass tr(), so a translated aimload
// still serves an English status page.

const char PageStyle[] = R"css(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; background: #f6f7f9; }
h1 { font-size: 1.4em; margin: 0 0 .6em; }
h2 { font-size: 1.1em; margin: 1.6em 0 .5em; }
table { border-collapse: collapse; background: #fff; }
th, td { padding: .3em .7em; border-bottom: 1px solid #e1e4ea; text-align: right; }
th { background: #eceff4; font-weight: 600; }
td.text, th.text { text-align: left; max-width: 28em; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
tr.total td { font-weight: 600; }
.summary { display: flex; flex-wrap: wrap; gap: .6em 2em; }
.summary span { color: #5b6475; }
.badge { padding: .1em .6em; border-radius: .8em; color: #fff; background: #7a8396; }
.badge.running { background: #1f8a4c; }
.badge.waiting { background: #b7791f; }
.badge.stopped { background: #b83232; }
.outcome-ok { color: #1f8a4c; }
.outcome-fail { color: #b83232; }
.outcome-pending { color: #7a8396; }
#error { color: #b83232; font-weight: 600; }
footer { margin-top: 2em; color: #7a8396; font-size: .9em; }
)css";

const char PageScript[] = R"js(
'use strict';
const $ = (id) => document.getElementById(id);
let nextCycleAt = null;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text === null || text === undefined ? '–' : String(text);
  if (cls) td.className = cls;
  return td;
}
function tableRow(cells, cls) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.appendChild(c);
  if (cls) tr.className = cls;
  return tr;
}
function fmtMs(v) {
  if (v === null || v === undefined) return '–';
  return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms';
}
function fmtPct(v) { return v === null ? '–' : (100 * v).toFixed(1) + ' %'; }
function modelName(m) { return m === 'a' ? 'Model A' : m === 'b' ? 'Model B' : 'all models'; }
function successRate(r) { return r.requests > 0 ? (r.requests - r.failures) / r.requests : null; }
function signed(v, digits, unit) {
  if (v === null || !isFinite(v)) return '–';
  return (v > 0 ? '+' : '') + v.toFixed(digits) + unit;
}

function statsRow(r, cls) {
  return tableRow([cell(r.group || 'all groups', 'text'), cell(modelName(r.model), 'text'),
    cell(r.requests), cell(r.failures), cell(fmtPct(r.failure_rate)), cell(fmtMs(r.median_ms)),
    cell(fmtMs(r.p95_ms)), cell(fmtMs(r.p99_ms)), cell(fmtMs(r.average_ms)),
    cell(r.average_tool_calls.toFixed(2))], cls);
}

function comparisonRow(label, a, b, format, difference) {
  return tableRow([cell(label, 'text'), cell(format(a)), cell(format(b)), cell(difference)]);
}

function showComparison(a, b) {
  const sa = successRate(a), sb = successRate(b);
  const both = a.requests > 0 && b.requests > 0;
  const relative = (x, y) => both && x > 0 ? signed(100 * (y - x) / x, 1, ' %') : '–';
  $('ab-body').replaceChildren(
    comparisonRow('Requests', a.requests, b.requests, String,
      signed(b.requests - a.requests, 0, '')),
    comparisonRow('Success rate', sa, sb, fmtPct,
      sa !== null && sb !== null ? signed(100 * (sb - sa), 1, ' pt') : '–'),
    comparisonRow('Median latency', a.median_ms, b.median_ms, fmtMs,
      relative(a.median_ms, b.median_ms)),
    comparisonRow('p95 latency', a.p95_ms, b.p95_ms, fmtMs, relative(a.p95_ms, b.p95_ms)),
    comparisonRow('Mean tool calls', a.average_tool_calls, b.average_tool_calls,
      (v) => v.toFixed(2),
      both ? signed(b.average_tool_calls - a.average_tool_calls, 2, '') : '–'));
}

function showStats(s) {
  const state = $('state');
  state.textContent = s.state;
  state.className = 'badge ' + s.state;
  $('cycles').textContent = s.cycles_started + ' started, ' + s.cycles_completed + ' completed';
  $('skipped').textContent = String(s.slots_skipped);
  $('inflight').textContent = String(s.requests_in_flight);
  $('version').textContent = 'aimload ' + s.version;
  nextCycleAt = s.next_cycle_in_seconds === null ? null
    : Date.now() + 1000 * s.next_cycle_in_seconds;
  tick();
  const rows = s.rows.map((r) => statsRow(r));
  rows.push(statsRow(s.models.a, 'total'), statsRow(s.models.b, 'total'),
    statsRow(s.total, 'total'));
  $('stats-body').replaceChildren(...rows);
  showComparison(s.models.a, s.models.b);
}

function outcomeClass(outcome) {
  if (outcome === 'pending') return 'outcome-pending';
  return outcome === 'ok' ? 'outcome-ok' : 'outcome-fail';
}

function showRequests(list) {
  $('requests-body').replaceChildren(...list.map((r) => {
    const prompt = cell(r.description, 'text');
    prompt.title = r.message;
    const error = cell(r.error || r.detail || '', 'text');
    error.title = r.error || '';
    return tableRow([cell(new Date(r.started_at).toLocaleTimeString(), 'text'),
      cell(r.cycle), cell(modelName(r.model), 'text'), cell(r.group, 'text'), prompt,
      cell(r.outcome === 'pending' ? 'in flight' : r.outcome, 'text ' + outcomeClass(r.outcome)),
      cell(r.http_status || '–'), cell(fmtMs(r.latency_ms)), cell(r.tool_call_count), error]);
  }));
}

function tick() {
  const countdown = $('countdown');
  if (nextCycleAt === null) {
    countdown.textContent = '–';
    return;
  }
  const left = Math.max(0, Math.round((nextCycleAt - Date.now()) / 1000));
  countdown.textContent = Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0');
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(url + ' answered HTTP ' + response.status);
  return response.json();
}

async function refresh() {
  try {
    const [stats, recent] = await Promise.all([getJson('/api/stats'),
      getJson('/api/requests?limit=50')]);
    showStats(stats);
    showRequests(recent.requests);
    $('error').hidden = true;
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('error').textContent = 'Cannot reach aimload: ' + e.message;
    $('error').hidden = false;
  }
}

refresh();
setInterval(refresh, 3000);
setInterval(tick, 1000);
)js";

const char PageBody[] = R"html(
<h1>aimload <span id="state" class="badge">…</span></h1>
<p id="error" hidden></p>
<div class="summary">
  <div><span>Next cycle in</span> <strong id="countdown">–</strong></div>
  <div><span>Cycles</span> <strong id="cycles">–</strong></div>
  <div><span>Slots skipped</span> <strong id="skipped">–</strong></div>
  <div><span>Requests in flight</span> <strong id="inflight">–</strong></div>
</div>
<h2>Model A and Model B</h2>
<table>
  <thead><tr><th class="text"></th><th>Model A</th><th>Model B</th><th>B against A</th></tr></thead>
  <tbody id="ab-body"></tbody>
</table>
<h2>Statistics per group and model</h2>
<table>
  <thead><tr><th class="text">Group</th><th class="text">Model</th><th>Requests</th>
    <th>Failures</th><th>Failure rate</th><th>Median</th><th>p95</th><th>p99</th>
    <th>Mean</th><th>Mean tool calls</th></tr></thead>
  <tbody id="stats-body"></tbody>
</table>
<h2>Recent requests</h2>
<table>
  <thead><tr><th class="text">Started</th><th>Cycle</th><th class="text">Model</th>
    <th class="text">Group</th><th class="text">Prompt</th><th class="text">Outcome</th>
    <th>HTTP</th><th>Latency</th><th>Tool calls</th><th class="text">Error</th></tr></thead>
  <tbody id="requests-body"></tbody>
</table>
<footer><span id="version"></span> · <span id="updated"></span> ·
  <a href="/metrics">Prometheus metrics</a></footer>
)html";

QByteArray sourceHash(const char* source)
{
    return "'sha256-"_ba
        + QCryptographicHash::hash(QByteArray(source), QCryptographicHash::Sha256).toBase64()
        + '\'';
}

} // namespace

QByteArray StatusPage::html()
{
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>aimload</title>\n<style>"_ba
        + PageStyle + "</style>\n</head>\n<body>"_ba + PageBody + "<script>"_ba + PageScript
        + "</script>\n</body>\n</html>\n"_ba;
}

QByteArray StatusPage::contentSecurityPolicy()
{
    return "default-src 'none'; style-src "_ba + sourceHash(PageStyle) + "; script-src "_ba
        + sourceHash(PageScript)
        + "; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'"_ba;
}

} // namespace aimload
