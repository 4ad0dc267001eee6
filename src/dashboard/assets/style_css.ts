/**
 * The dashboard's style sheet, served as `/assets/style.css`: a light theme with a dark header,
 * monospace for ids, commands and output, one colour per job state.
 *
 * @module
 */

/** The style sheet, as served. */
export const STYLE_CSS = `:root {
  --bg: #f5f6f8;
  --panel: #fff;
  --line: #e2e5ea;
  --line-soft: #eef0f3;
  --text: #1c2230;
  --muted: #6b7380;
  --accent: #2563eb;
  --accent-dark: #1d4ed8;
  --head: #1b2130;
  --head-text: #d5dae3;
  --danger: #c62828;
  --mono: ui-monospace, "SFMono-Regular", "JetBrains Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  /* state colours: background, text */
  --pending-bg: #e4eaf3; --pending: #4a5d7c;
  --processing-bg: #dbe8fe; --processing: #1d4ed8;
  --completed-bg: #dcf5e4; --completed: #15803d;
  --failed-bg: #ffebd6; --failed: #c2410c;
  --dead-bg: #fde0e0; --dead: #b91c1c;
  --canceled-bg: #ebebed; --canceled: #5b5f66;
  --blocked-bg: #ede7fd; --blocked: #6d28d9;
}

* { box-sizing: border-box; }
[hidden] { display: none !important; }

html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 var(--sans);
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
code { background: var(--line-soft); padding: 1px 4px; border-radius: 3px; }
h1 { font-size: 20px; margin: 0; font-weight: 600; }
h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; }
h3 { font-size: 13px; margin: 0 0 6px; font-weight: 600; color: var(--muted); }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.nowrap { white-space: nowrap; }

/* ---- header */
header.top {
  position: sticky;
  top: 0;
  z-index: 10;
  display: flex;
  align-items: center;
  flex-wrap: wrap;
  gap: 6px 20px;
  padding: 8px 20px;
  background: var(--head);
  color: var(--head-text);
  box-shadow: 0 1px 3px rgba(0, 0, 0, .25);
}
.brand { display: flex; align-items: baseline; gap: 10px; min-width: 0; }
.logo { color: #fff; font-weight: 700; font-size: 17px; letter-spacing: .2px; }
.logo:hover { text-decoration: none; }
.location {
  color: #9aa4b5;
  font-size: 12px;
  max-width: 34ch;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
#nav { display: flex; gap: 2px; overflow-x: auto; }
#nav a {
  color: var(--head-text);
  padding: 6px 10px;
  border-radius: 5px;
  white-space: nowrap;
}
#nav a:hover { background: rgba(255, 255, 255, .08); text-decoration: none; }
#nav a[aria-current="page"] { background: rgba(255, 255, 255, .14); color: #fff; }
.top-right { margin-left: auto; display: flex; align-items: center; gap: 12px; }
#logout-form { display: contents; }
.status { font-size: 12px; color: #9aa4b5; white-space: nowrap; }
.status::before {
  content: "";
  display: inline-block;
  width: 7px;
  height: 7px;
  margin-right: 6px;
  border-radius: 50%;
  background: #7b8494;
  vertical-align: 1px;
}
.status[data-status="ok"]::before { background: #34d399; }
.status[data-status="offline"] { color: #fca5a5; }
.status[data-status="offline"]::before { background: #ef4444; }

/* ---- buttons and forms */
.btn {
  font: inherit;
  font-size: 13px;
  padding: 5px 12px;
  border: 1px solid #c9ced6;
  border-radius: 5px;
  background: #fff;
  color: var(--text);
  cursor: pointer;
  white-space: nowrap;
}
.btn:hover:not(:disabled) { background: #f0f2f5; }
.btn:disabled { opacity: .5; cursor: default; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover:not(:disabled) { background: var(--accent-dark); }
.btn.danger { color: var(--danger); border-color: #e8b4b4; }
.btn.danger:hover:not(:disabled) { background: #fdf0f0; }
.btn.small { padding: 2px 9px; font-size: 12px; }
input, select {
  font: inherit;
  font-size: 13px;
  padding: 5px 8px;
  border: 1px solid #c9ced6;
  border-radius: 5px;
  background: #fff;
  color: var(--text);
  min-width: 0;
}
input:focus, select:focus, .btn:focus-visible {
  outline: 2px solid rgba(37, 99, 235, .35);
  outline-offset: 0;
  border-color: var(--accent);
}
label { font-size: 12px; color: var(--muted); }
.form-error {
  color: var(--danger);
  background: #fdf0f0;
  border: 1px solid #f3c5c5;
  border-radius: 5px;
  padding: 6px 10px;
  margin: 0;
  font-size: 13px;
}

/* ---- enqueue panel */
.enqueue-panel {
  background: #fff;
  border-bottom: 1px solid var(--line);
  padding: 14px 20px;
  box-shadow: 0 2px 6px rgba(0, 0, 0, .05);
}
#enqueue-form {
  display: grid;
  grid-template-columns: minmax(240px, 3fr) repeat(5, minmax(90px, 1fr));
  gap: 10px 12px;
  align-items: end;
  max-width: 1400px;
}
#enqueue-form label { display: flex; flex-direction: column; gap: 3px; }
#enqueue-form input[name="command"] { font-family: var(--mono); }
.f-actions { display: flex; gap: 8px; grid-column: 1 / -1; align-items: center; }
#enqueue-form .form-error { grid-column: 1 / -1; }

/* ---- flash and errors */
.flash {
  position: fixed;
  right: 20px;
  bottom: 20px;
  z-index: 20;
  max-width: min(480px, calc(100vw - 40px));
  padding: 10px 14px;
  border-radius: 6px;
  background: #16331f;
  color: #e8fbe9;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .2);
  overflow-wrap: anywhere;
}
.flash[data-kind="error"] { background: #4a1414; color: #ffe7e7; }
.view-error {
  margin: 0 0 14px;
  padding: 8px 12px;
  border: 1px solid #f3c5c5;
  background: #fdf0f0;
  color: var(--danger);
  border-radius: 6px;
}

/* ---- layout */
main { padding: 18px 20px 40px; max-width: 1400px; margin: 0 auto; }
.view-head { display: flex; align-items: center; flex-wrap: wrap; gap: 10px 14px; margin-bottom: 14px; }
.view-head .actions, .view-head .inline-form { margin-left: auto; }
.view-head > .btn { margin-left: auto; }
.panel {
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 14px 16px;
  margin-bottom: 16px;
  min-width: 0;
}
.panel-head { display: flex; align-items: baseline; flex-wrap: wrap; gap: 4px 18px; margin-bottom: 6px; }
.panel-head h2 { margin: 0; }
.two-col { display: grid; grid-template-columns: 3fr 2fr; gap: 16px; align-items: start; }
.two-col .panel { margin-bottom: 0; }
.empty { color: var(--muted); margin: 6px 0; }
.actions { display: flex; gap: 8px; }
.inline-form { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.count-input { width: 70px; }

/* ---- state cards */
.cards {
  display: grid;
  grid-template-columns: repeat(7, minmax(0, 1fr));
  gap: 10px;
  margin-bottom: 16px;
}
.card {
  display: flex;
  flex-direction: column;
  padding: 10px 14px;
  background: var(--panel);
  border: 1px solid var(--line);
  border-top: 3px solid var(--c, #999);
  border-radius: 8px;
  color: var(--text);
}
.card:hover { text-decoration: none; border-color: var(--c, #999); }
.card .count { font-size: 24px; font-weight: 650; line-height: 1.2; font-variant-numeric: tabular-nums; color: var(--c); }
.card.zero .count { color: #a3a9b3; }
.card .label { font-size: 12px; color: var(--muted); text-transform: capitalize; }

.state-pending { --c: var(--pending); --cb: var(--pending-bg); }
.state-processing { --c: var(--processing); --cb: var(--processing-bg); }
.state-completed { --c: var(--completed); --cb: var(--completed-bg); }
.state-failed { --c: var(--failed); --cb: var(--failed-bg); }
.state-dead { --c: var(--dead); --cb: var(--dead-bg); }
.state-canceled { --c: var(--canceled); --cb: var(--canceled-bg); }
.state-blocked { --c: var(--blocked); --cb: var(--blocked-bg); }

/* ---- badges */
.badge {
  display: inline-block;
  padding: 1px 8px;
  border-radius: 10px;
  font-size: 12px;
  font-weight: 550;
  line-height: 18px;
  white-space: nowrap;
  background: var(--cb, #ebebed);
  color: var(--c, #4b5058);
}
.badge.big { font-size: 13px; padding: 2px 10px; }
.badge.outcome-completed { --c: var(--completed); --cb: var(--completed-bg); }
.badge.outcome-failed, .badge.outcome-timeout { --c: var(--failed); --cb: var(--failed-bg); }
.badge.outcome-canceled, .badge.outcome-released { --c: var(--canceled); --cb: var(--canceled-bg); }
.badge.outcome-rescued { --c: var(--blocked); --cb: var(--blocked-bg); }
.badge.alive, .badge.active { --c: var(--completed); --cb: var(--completed-bg); }
.badge.gone { --c: var(--canceled); --cb: var(--canceled-bg); }
.badge.stopping, .badge.paused { --c: var(--failed); --cb: var(--failed-bg); }
td .badge.stopping { margin-left: 6px; }

/* ---- tables */
.table-wrap { overflow-x: auto; }
table.grid { width: 100%; border-collapse: collapse; }
table.grid th {
  text-align: left;
  font-size: 11.5px;
  font-weight: 600;
  color: var(--muted);
  text-transform: uppercase;
  letter-spacing: .03em;
  padding: 6px 10px;
  border-bottom: 1px solid var(--line);
  white-space: nowrap;
}
table.grid td {
  padding: 6px 10px;
  border-bottom: 1px solid var(--line-soft);
  vertical-align: middle;
}
table.grid tbody tr:hover { background: #f8f9fb; }
table.grid tbody tr:last-child td { border-bottom: 0; }
table.grid .num { text-align: right; font-variant-numeric: tabular-nums; }
table.grid th.num { text-align: right; }
table.jobs, table.workers, table.schedules {
  background: var(--panel);
  border: 1px solid var(--line);
  border-radius: 8px;
  border-collapse: separate;
  border-spacing: 0;
}
table.jobs td.id { white-space: nowrap; }
table.jobs td.id a { display: inline-block; max-width: 22ch; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
td.command {
  max-width: 0;
  width: 45%;
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
}
table.schedules td.command { width: 35%; }
td.links a { display: inline-block; margin-right: 8px; }
td.actions { text-align: right; width: 1%; }
td.error-cell { max-width: 360px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; color: var(--failed); }
tr.gone td { color: var(--muted); }
table.queues td, table.live-workers td { padding: 5px 8px; }
table.queues th, table.live-workers th { padding: 5px 8px; }

/* ---- filters and pager */
.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin-bottom: 12px; }
.filters label { display: flex; align-items: center; gap: 6px; }
.filters input[name="q"] { flex: 1 1 240px; max-width: 420px; font-family: var(--mono); }
.pager { display: flex; align-items: center; justify-content: flex-end; gap: 12px; margin-top: 10px; }
.page-info { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 13px; }

/* ---- overview stats and chart */
.stats { display: flex; flex-wrap: wrap; gap: 4px 16px; color: var(--muted); font-size: 13px; }
.stat b { color: var(--text); font-variant-numeric: tabular-nums; }
.stat[data-stat="failed"] b { color: var(--failed); }
.chart-svg { display: block; width: 100%; height: auto; max-height: 220px; }
.chart-svg .grid { stroke: var(--line-soft); stroke-width: 1; }
.chart-svg .axis { stroke: #c9ced6; stroke-width: 1; }
.chart-svg text { font: 10px var(--sans); fill: var(--muted); }
.chart-svg .ylabel { text-anchor: end; }
.chart-svg .xlabel.end { text-anchor: end; }
.chart-svg .nodata { text-anchor: middle; font-size: 12px; }
.chart-svg .hover { fill: transparent; }
.chart-svg .bucket:hover .hover { fill: rgba(37, 99, 235, .07); }
.chart-svg .bar-completed { fill: #34b36a; }
.chart-svg .bar-failed { fill: #f08a3c; }
.legend { display: flex; align-items: center; gap: 6px; font-size: 12px; color: var(--muted); margin-top: 4px; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
.sw-completed { background: #34b36a; }
.sw-failed { background: #f08a3c; margin-left: 8px; }
.legend .muted { margin-left: 8px; }

/* ---- job page */
#job-id { font-size: 17px; overflow-wrap: anywhere; }
.fields {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(260px, 1fr));
  gap: 10px 24px;
  margin: 0;
}
.field { min-width: 0; }
.field dt { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.field dd { margin: 1px 0 0; overflow-wrap: anywhere; }
.field.wide { grid-column: 1 / -1; }
.fields pre, pre.output {
  margin: 2px 0 0;
  padding: 8px 10px;
  background: #f6f7f9;
  border: 1px solid var(--line);
  border-radius: 5px;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  max-height: 420px;
  overflow: auto;
}
.fields pre.command { background: #1f2533; color: #e9edf5; border-color: #1f2533; font-size: 13px; }
.fields pre.error { color: var(--dead); background: #fdf4f4; border-color: #f3d0d0; }
.deps { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.dep-list { list-style: none; margin: 0; padding: 0; }
.dep-list li { padding: 2px 0; }
.run-output { margin-top: 10px; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.run-output summary { cursor: pointer; font-weight: 550; }
.run-output[open] summary { margin-bottom: 6px; }
.stream { margin-bottom: 8px; }
.stream-name { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
pre.output { background: #14181f; color: #dfe4ec; border-color: #14181f; font-size: 12px; line-height: 1.45; }
pre.output.stderr { color: #ffc9a8; }
pre.output.empty-output { color: #7b8494; }
.live { border-color: #b9d0fb; }
.live pre.output { min-height: 3em; }
.pulse {
  display: inline-block;
  width: 8px;
  height: 8px;
  border-radius: 50%;
  background: var(--processing);
  margin: 0 6px 1px 2px;
  animation: pulse 1.2s ease-in-out infinite;
}
@keyframes pulse { 50% { opacity: .25; } }

/* ---- login page (login_page.ts) */
body.login { display: flex; align-items: flex-start; justify-content: center; min-height: 100vh; }
.login-box {
  margin: 12vh 16px 0;
  width: 100%;
  max-width: 380px;
  padding: 24px 26px;
  background: var(--panel);
  border: 1px solid var(--line);
  border-top: 4px solid var(--head);
  border-radius: 8px;
}
.login-box h1 { margin-bottom: 8px; }
.login-box p { color: var(--muted); }
#login-form { display: flex; flex-direction: column; gap: 12px; }
#login-form label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; }
#login-form button {
  font: inherit;
  padding: 7px 12px;
  border: 0;
  border-radius: 5px;
  background: var(--accent);
  color: #fff;
  cursor: pointer;
}
#login-form button:hover { background: var(--accent-dark); }
.login-box .error { color: var(--danger); }

/* ---- narrow windows */
@media (max-width: 1000px) {
  .cards { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .two-col { grid-template-columns: 1fr; }
  .two-col .panel { margin-bottom: 16px; }
  #enqueue-form { grid-template-columns: repeat(3, minmax(0, 1fr)); }
  #enqueue-form .f-command { grid-column: 1 / -1; }
}
@media (max-width: 640px) {
  header.top { padding: 8px 12px; gap: 4px 12px; }
  .top-right { margin-left: 0; width: 100%; justify-content: space-between; order: 2; }
  #nav { order: 3; width: 100%; flex-wrap: wrap; }
  #nav a { padding: 5px 8px; }
  table.jobs .opt { display: none; }
  .fields { grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
  main { padding: 12px 10px 30px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .location { max-width: 20ch; }
  #enqueue-form { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .enqueue-panel { padding: 12px; }
  .deps { grid-template-columns: 1fr; }
  td.command { max-width: 40ch; min-width: 16ch; }
  .panel { padding: 12px; }
}
`;
