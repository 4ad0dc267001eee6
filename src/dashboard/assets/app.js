/*
 * The dashboard's script, served as `/assets/app.js`: a small single-page app over the JSON API,
 * with hash routes and short polling (every 2 s; 1 s while a job page tails live output). Plain
 * ES2020, no modules, no dependencies.
 *
 * Security: data from the API only ever reaches the page through `textContent`, text nodes and
 * `setAttribute` of inert attributes (`title`, `data-*`, `datetime`, `value`) or `href`s built
 * as `"#/…" + encodeURIComponent(…)`; never `innerHTML` and the like. Every POST sends
 * `Content-Type: application/json` and `X-CSRF-Token` (from `<meta name="csrf-token">`); a 401
 * reloads `/`, where the server asks for the token.
 *
 * Hooks for browser tests (stable ids, classes and data attributes):
 * - Header: `#location` (database),
 *   `nav a[data-nav="overview|jobs|dlq|batches|schedules|workers"]`
 *   (`aria-current="page"` on the current one), `#status` (`data-status="ok|offline|loading"`,
 *   text "updated HH:MM:SS" or "offline").
 * - `#view` holds the current view; its root has `data-view="overview|jobs|job|dlq|batches|
 *   schedules|workers|notfound"`. `#view-error` shows a failed request's message; `#flash` the outcome of
 *   the last action (`data-kind="ok|error"`).
 * - Overview: `#state-counts [data-state="<state>"] .count` (cards link to the jobs list),
 *   `table.queues tr[data-queue="<name>"] td[data-state="<state>"]`,
 *   `… td.paused[data-paused="true|false"]` (with the time a timed pause ends, and
 *   `button[data-action="pause-queue|resume-queue"][data-queue]`), `td.retry`,
 *   `td.rate[data-rate-limited="true|false"]` (the rate, and when its window frees),
 *   `td.group-limit`,
 *   `#last-hour`
 *   (`[data-stat="runs|completed|failed|failure_rate"]`), `#throughput svg` (one
 *   `g.bucket[data-start]` per minute, `rect.bar-completed` / `rect.bar-failed`),
 *   `table.live-workers tr[data-worker-id]`.
 * - Jobs (`#/jobs?state=dead&queue=x&q=foo&offset=50`): `form#job-filters` with
 *   `select[name=state]` ("" = all), `select[name=queue]`, `input[name=q]`;
 *   `table.jobs tr[data-job-id="<id>"][data-state="<state>"]`, with `a.job-link`,
 *   `td.command` and, for a pending or failed job of a paused queue, `[data-queue-paused]` (also
 *   on the job page's queue field); `button[data-action="prev"]`, `button[data-action="next"]`, `#page-info`
 *   ("1–50 of N"). An empty list shows `.empty`. Retry on finished rows and
 *   `button[data-action="retry-matching"]`: see operator.js.
 * - Job page (`#/jobs/<id>`): `#job-id`, `#job-state` (text and `data-state`),
 *   `dl#job-fields dd[data-field="<json field>"]`, `#job-parents a`, `#job-children a`,
 *   `button[data-action="cancel"]` (blocked/pending/failed/processing),
 *   `button[data-action="retry"]` (completed/dead/canceled) and `button[data-action="edit"]`
 *   (pending/failed/blocked; see operator.js), `#live-output` (while processing) with
 *   `pre#live-stdout` and `pre#live-stderr`, `table.runs tr[data-attempt]`,
 *   `.run-output[data-attempt] pre.stdout` / `pre.stderr`.
 * - Dead letters: the jobs table plus `button[data-action="retry"][data-job-id]` per row and
 *   `button[data-action="retry-all"]`.
 * - Batches: `table.batches tr[data-batch="<name>"][data-status="open|completed|failed"]`,
 *   with `td[data-state="<state>"]` counts, `a.batch-jobs` (the jobs list of the batch,
 *   `#/jobs?batch=<name>`) and `td.callback[data-callback="on_complete|on_failure"]` (a link to
 *   the callback job, `data-state` its state). The jobs list shows `#batch-filter` when filtered
 *   by batch; a job page shows `dd[data-field="batch"]`.
 * - Schedules: `table.schedules tr[data-schedule="<name>"]`.
 * - Workers: `table.workers tr[data-worker-id="<id>"]` (`data-alive="true|false"`),
 *   `button[data-action="stop"][data-worker-id]`; when worker control is allowed,
 *   `form#start-workers` with `input[name=count]` and `button[data-action="start-workers"]`.
 * - Sign out (dashboards with a token): `form#logout-form` with
 *   `button[data-action="logout"]`, a plain form POST to `/logout` (no script involved).
 * - Enqueue: `button#enqueue-toggle` opens `#enqueue-panel` with `form#enqueue-form`
 *   (`command`, `queue`, `priority`, `delay`, `max_retries`, `timeout`) and `#enqueue-error`;
 *   on success the page goes to the new job.
 */
"use strict";
(() => {
  const STATES = ["pending", "processing", "completed", "failed", "dead", "canceled", "blocked"];
  const CANCELABLE = ["blocked", "pending", "failed", "processing"];
  const PAGE = 50;
  const TICK = 2000;
  const meta = document.querySelector('meta[name="csrf-token"]');
  const CSRF = meta ? meta.getAttribute("content") || "" : "";

  const viewEl = document.getElementById("view");
  const viewErrorEl = document.getElementById("view-error");
  const statusEl = document.getElementById("status");
  const flashEl = document.getElementById("flash");
  const locationEl = document.getElementById("location");

  // ---------------------------------------------------------------- DOM helpers

  const PROPS = { value: 1, checked: 1, selected: 1, disabled: 1, hidden: 1, open: 1 };

  /** An element; attrs: "class", "text", "on<event>", properties above, else setAttribute. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    add(el, kids);
    return el;
  }

  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach((k) => {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) {
        if (PROPS[k]) el[k] = false;
        return;
      }
      if (k === "class") el.setAttribute("class", v);
      else if (k === "text") el.textContent = String(v);
      else if (k.slice(0, 2) === "on" && typeof v === "function") {
        el.addEventListener(k.slice(2), v);
      } else if (PROPS[k]) el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    });
  }

  /** Appends strings (as text), numbers, nodes and arrays of them. */
  function add(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) {
      kid.forEach((k) => {
        add(el, k);
      });
    } else if (typeof kid === "object" && kid.nodeType) el.appendChild(kid);
    else el.appendChild(document.createTextNode(String(kid)));
  }

  const SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach((k) => el.setAttribute(k, String(attrs[k])));
    add(el, kids);
    return el;
  }

  /** Replaces el's children with what build() returns unless key is what it was last time. */
  function region(el, key, build) {
    if (el._key === key) return false;
    el._key = key;
    el.replaceChildren();
    add(el, build());
    return true;
  }

  function jobHref(id) {
    return "#/jobs/" + encodeURIComponent(id);
  }
  function jobLink(id, cls) {
    return h("a", { href: jobHref(id), class: "mono " + (cls || "job-link"), title: id }, id);
  }
  function badge(state) {
    return h("span", { class: "badge state-" + state, "data-state": state }, state);
  }
  function muted(text) {
    return h("span", { class: "muted" }, text);
  }
  function thead(cols) {
    return h(
      "thead",
      null,
      h(
        "tr",
        null,
        cols.map((c) => {
          return Array.isArray(c) ? h("th", { class: c[1] }, c[0]) : h("th", null, c);
        }),
      ),
    );
  }

  // ---------------------------------------------------------------- times

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }
  function clock(d) {
    return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function fmtTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + clock(d);
  }
  function span(sec) {
    sec = Math.abs(sec);
    if (sec < 60) return Math.floor(sec) + "s";
    if (sec < 3600) return Math.floor(sec / 60) + "m";
    if (sec < 86400) {
      return Math.floor(sec / 3600) + "h" +
        (sec < 36000 ? " " + Math.floor((sec % 3600) / 60) + "m" : "");
    }
    return Math.floor(sec / 86400) + "d";
  }
  function relText(iso) {
    const t = Date.parse(iso);
    if (isNaN(t)) return String(iso);
    const sec = (t - Date.now()) / 1000;
    if (Math.abs(sec) < 1.5) return "now";
    return sec > 0 ? "in " + span(sec) : span(sec) + " ago";
  }
  /** A relative time ("5s ago", "in 2m") that refreshRel() keeps current. */
  function ago(iso) {
    if (!iso) return muted("—");
    return h("time", { datetime: iso, title: fmtTime(iso), "data-rel": "" }, relText(iso));
  }
  /** Local date and time, then the relative time. */
  function when(iso) {
    if (!iso) return muted("—");
    return h(
      "span",
      { class: "when" },
      fmtTime(iso) + " ",
      h("span", { class: "muted" }, "(", ago(iso), ")"),
    );
  }
  function duration(a, b) {
    const x = Date.parse(a), y = Date.parse(b);
    if (isNaN(x) || isNaN(y)) return "—";
    const ms = y - x;
    return ms < 1000 ? ms + " ms" : ms < 60000 ? (ms / 1000).toFixed(1) + " s" : span(ms / 1000);
  }
  function refreshRel() {
    const els = document.querySelectorAll("time[data-rel]");
    for (let i = 0; i < els.length; i++) {
      const t = relText(els[i].getAttribute("datetime"));
      if (els[i].textContent !== t) els[i].textContent = t;
    }
  }

  // ---------------------------------------------------------------- API

  function api(method, path, body) {
    const opts = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.body = JSON.stringify(body === undefined ? {} : body);
    }
    return fetch(path, opts).then((res) => {
      if (res.status === 401) return needLogin();
      return res.text().then((text) => {
        let data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (_e) {
          data = null;
        }
        if (!res.ok) {
          const err = new Error(
            (data && data.error) || "HTTP " + res.status + " " + res.statusText,
          );
          err.status = res.status;
          throw err;
        }
        return data;
      });
    }, (e) => {
      const err = new Error("The dashboard server is unreachable (" + e.message + ")");
      err.offline = true;
      throw err;
    });
  }

  /** 401: the session needs the token; the server asks for it at "/". */
  function needLogin() {
    const last = Number(sessionStorage.getItem("queuectl-401") || 0);
    if (Date.now() - last > 10000) {
      sessionStorage.setItem("queuectl-401", String(Date.now()));
      if (location.pathname === "/") location.reload();
      else location.assign("/");
    } else {
      setStatus("offline", "signed out");
      showViewError("Signed out: reload the page to sign in again.");
    }
    return new Promise(() => {});
  }

  function qs(params) {
    const u = new URLSearchParams();
    Object.keys(params).forEach((k) => {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) {
        u.set(k, String(params[k]));
      }
    });
    const t = u.toString();
    return t ? "?" + t : "";
  }

  // ---------------------------------------------------------------- status, flash, errors

  function setStatus(kind, text) {
    statusEl.setAttribute("data-status", kind);
    statusEl.textContent = text;
  }
  let flashTimer = 0;
  function flash(text, kind) {
    flashEl.textContent = text;
    flashEl.setAttribute("data-kind", kind || "ok");
    flashEl.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => {
      flashEl.hidden = true;
    }, kind === "error" ? 8000 : 4000);
  }
  function showViewError(msg) {
    viewErrorEl.textContent = msg || "";
    viewErrorEl.hidden = !msg;
  }

  /** Runs a POST from a button: disables it meanwhile, flashes the outcome, refreshes. */
  function act(button, method, path, body, done) {
    if (button) button.disabled = true;
    return api(method, path, body).then((data) => {
      flash(done(data), "ok");
    }, (e) => {
      flash(e.message, "error");
    }).then(() => {
      if (button) button.disabled = false;
      tick();
    });
  }
  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  /** Retry and edit controls (operator.js, loaded first), placed by the job and jobs views. */
  const OPS = self.queuectlOperator({
    h: h,
    add: add,
    api: api,
    act: act,
    flash: flash,
    plural: plural,
    tick: tick,
  });

  // ---------------------------------------------------------------- overview cache

  let overview = null;
  let overviewAt = 0;
  let overviewReq = null;
  /** GET /api/overview (one request at a time); keeps the header and queue names current. */
  function loadOverview() {
    if (overviewReq) return overviewReq;
    overviewReq = api("GET", "/api/overview").then((d) => {
      overviewReq = null;
      overview = d;
      overviewAt = Date.now();
      if (d && d.location !== undefined && locationEl.textContent !== String(d.location)) {
        locationEl.textContent = String(d.location);
        locationEl.setAttribute("title", "database: " + d.location);
      }
      const dl = document.getElementById("queue-names");
      region(dl, JSON.stringify(queueNames()), () => {
        return queueNames().map((q) => h("option", { value: q }));
      });
      return d;
    }, (e) => {
      overviewReq = null;
      throw e;
    });
    return overviewReq;
  }
  /** The overview, fetched again when older than 10 s. */
  function freshOverview() {
    if (overview && Date.now() - overviewAt < 10000) return Promise.resolve(overview);
    return loadOverview().catch(() => overview);
  }
  function queueNames() {
    return ((overview && overview.queues) || []).map((q) => q.name);
  }

  // ---------------------------------------------------------------- router and polling

  let current = null;
  let gen = 0;
  let timer = 0;

  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const qi = raw.indexOf("?");
    const path = qi < 0 ? raw : raw.slice(0, qi);
    const params = new URLSearchParams(qi < 0 ? "" : raw.slice(qi + 1));
    const parts = path.split("/").filter(Boolean);
    let arg = "";
    try {
      arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join("/")) : "";
    } catch (_e) {
      arg = parts[1];
    }
    let name = parts[0] || "overview";
    if (name === "jobs" && arg) name = "job";
    if (!VIEWS[name] || (name !== "job" && arg)) name = "notfound";
    return { name: name, arg: arg, params: params };
  }

  function route() {
    const r = parseHash();
    const key = r.name + "/" + r.arg;
    if (current && current.key === key && current.view.update) {
      current.view.update(r.params);
    } else {
      if (current && current.view.unmount) current.view.unmount();
      showViewError("");
      const root = h("div", { class: "view", "data-view": r.name });
      viewEl.replaceChildren(root);
      current = { key: key, view: VIEWS[r.name](root, r.arg, r.params) };
      scrollTo(0, 0);
      const nav = r.name === "job" ? "jobs" : r.name;
      document.querySelectorAll("#nav a").forEach((a) => {
        if (a.getAttribute("data-nav") === nav) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      });
    }
    tick();
  }

  /** Sets the hash without a history entry (search-as-you-type) and routes. */
  function replaceHash(hash) {
    history.replaceState(null, "", hash);
    route();
  }

  function tick() {
    clearTimeout(timer);
    if (!current) return;
    const view = current.view;
    const my = ++gen;
    if (document.hidden) return; // visibilitychange resumes
    const ctx = { ok: () => my === gen };
    Promise.resolve().then(() => view.refresh(ctx)).then(() => {
      if (my !== gen) return;
      setStatus("ok", "updated " + clock(new Date()));
      showViewError("");
    }, (e) => {
      if (my !== gen) return;
      if (e.offline || e.status === 503) {
        setStatus("offline", "offline");
        statusEl.setAttribute("title", e.message);
      } else {
        setStatus("ok", "updated " + clock(new Date()));
        showViewError(e.message);
      }
    }).then(() => {
      if (my !== gen) return;
      refreshRel();
      timer = setTimeout(tick, view.interval ? view.interval() : TICK);
    });
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) tick();
  });
  addEventListener("hashchange", route);

  // ---------------------------------------------------------------- overview

  function overviewView(root) {
    document.title = "queuectl";
    const cards = h("div", { id: "state-counts", class: "cards" });
    STATES.forEach((st) => {
      cards.appendChild(
        h(
          "a",
          { class: "card state-" + st, href: "#/jobs" + qs({ state: st }), "data-state": st },
          h("span", { class: "count" }, "–"),
          h("span", { class: "label" }, st),
        ),
      );
    });
    const stats = h("div", { id: "last-hour", class: "stats" });
    const chart = h("div", { id: "throughput", class: "chart" });
    const queues = h("div", { class: "table-wrap" });
    const workers = h("div", { class: "table-wrap" });
    add(root, [
      cards,
      h(
        "section",
        { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", null, "Last hour"), stats),
        chart,
        h(
          "div",
          { class: "legend" },
          h("span", { class: "sw sw-completed" }),
          "completed ",
          h("span", { class: "sw sw-failed" }),
          "failed / timed out ",
          h("span", { class: "muted" }, "per minute"),
        ),
      ),
      h(
        "div",
        { class: "two-col" },
        h("section", { class: "panel wide" }, h("h2", null, "Queues"), queues),
        h("section", { class: "panel" }, h("h2", null, "Live workers"), workers),
      ),
    ]);

    function render(d) {
      const counts = d.counts || {};
      STATES.forEach((st) => {
        const el = cards.querySelector('[data-state="' + st + '"] .count');
        const n = String(counts[st] || 0);
        if (el.textContent !== n) el.textContent = n;
        el.parentNode.classList.toggle("zero", !counts[st]);
      });
      const lh = d.last_hour || {};
      region(stats, JSON.stringify(lh), () => {
        const rate = typeof lh.failure_rate === "number"
          ? (lh.failure_rate * 100).toFixed(1) + "%"
          : "—";
        return [
          stat("runs", "runs", lh.runs || 0),
          stat("completed", "completed", lh.completed || 0),
          stat("failed", "failed", lh.failed || 0),
          stat("failure_rate", "failure rate", rate),
        ];
      });
      const tp = d.throughput || {};
      // Drawn at the box's pixel width (text stays 1:1); again each minute and after a resize.
      const width = Math.max(320, Math.round(chart.clientWidth || 720));
      const key = JSON.stringify(tp) + "|" + Math.floor(Date.now() / 60000) + "|" + width;
      region(chart, key, () => drawChart(tp, width));
      region(queues, JSON.stringify(d.queues || []), () => queueTable(d.queues || []));
      const live = (d.workers || []).filter((w) => w.alive !== false);
      region(workers, JSON.stringify(live), () => liveWorkers(live));
    }
    return {
      refresh: (ctx) => {
        return loadOverview().then((d) => {
          if (ctx.ok()) render(d || {});
        });
      },
    };
  }

  function stat(key, label, value) {
    return h("span", { class: "stat", "data-stat": key }, h("b", null, String(value)), " " + label);
  }

  function queueTable(list) {
    if (!list.length) return h("p", { class: "empty" }, "No queues yet.");
    return h(
      "table",
      { class: "queues grid" },
      thead(
        ["Queue", ["Limit", "num"], "Paused", "Retry", "Rate", ["Per group", "num"]].concat(
          STATES.map((st) => [st, "num"]),
        ),
      ),
      h(
        "tbody",
        null,
        list.map((q) => {
          const jobs = q.jobs || {};
          return h(
            "tr",
            { "data-queue": q.name },
            h(
              "td",
              null,
              h("a", { href: "#/jobs" + qs({ queue: q.name }), class: "mono" }, q.name),
            ),
            h(
              "td",
              { class: "num" },
              q.concurrency === null || q.concurrency === undefined
                ? muted("none")
                : String(q.concurrency),
            ),
            h(
              "td",
              { class: "paused nowrap", "data-paused": q.paused ? "true" : "false" },
              h(
                "div",
                { class: "pause-cell" },
                h(
                  "span",
                  null,
                  !q.paused ? muted("no") : [
                    h("span", { class: "badge stopping" }, "paused"),
                    " ",
                    // Short, so the table keeps its width: the full time is the title.
                    q.paused_until ? ["resumes ", ago(q.paused_until)] : muted("until resumed"),
                  ],
                ),
                pauseButton(q),
              ),
            ),
            h("td", { class: "retry mono" }, retryText(q)),
            h(
              "td",
              { class: "rate", "data-rate-limited": q.rate_limited_until ? "true" : "false" },
              !q.rate ? muted("none") : [
                h("span", { class: "mono" }, q.rate),
                q.rate_limited_until
                  ? [
                    " ",
                    h("span", { class: "badge paused" }, "limited"),
                    // Relative, with the exact time on hover: the column stays narrow.
                    " frees ",
                    ago(q.rate_limited_until),
                  ]
                  : "",
              ],
            ),
            h(
              "td",
              { class: "num group-limit" },
              q.group_concurrency === null || q.group_concurrency === undefined
                ? muted("none")
                : String(q.group_concurrency),
            ),
            STATES.map((st) => {
              const n = jobs[st] || 0;
              return h(
                "td",
                { class: "num", "data-state": st },
                n
                  ? h("a", { href: "#/jobs" + qs({ state: st, queue: q.name }) }, String(n))
                  : muted("0"),
              );
            }),
          );
        }),
      ),
    );
  }

  /** Pauses a queue until resumed, or resumes a paused one (POST /api/queues/NAME/…). */
  function pauseButton(q) {
    const action = q.paused ? "resume" : "pause";
    return h("button", {
      type: "button",
      class: "btn small",
      "data-action": action + "-queue",
      "data-queue": q.name,
      onclick: (e) => {
        const path = "/api/queues/" + encodeURIComponent(q.name) + "/" + action;
        act(e.currentTarget, "POST", path, {}, () => {
          return (q.paused ? "Resumed queue " : "Paused queue ") + q.name;
        });
      },
    }, q.paused ? "Resume" : "Pause");
  }

  /** A list of exit codes, "invalid", or "queue's" when the job has none of its own. */
  /** A job's finish hook and the outcomes it fires on, e.g. "./notify.sh (dead, canceled)". */
  function finishHook(j) {
    if (typeof j.on_finish !== "string") return muted("—");
    const when = j.on_finish_when === "invalid"
      ? "invalid"
      : Array.isArray(j.on_finish_when)
      ? j.on_finish_when.join(", ")
      : "every outcome";
    return h("span", null, h("span", { class: "mono" }, j.on_finish), " ", muted("(" + when + ")"));
  }

  function exitCodes(list) {
    if (Array.isArray(list)) return h("span", { class: "mono" }, list.join(", "));
    return list === "invalid" ? "invalid" : muted("queue's");
  }

  /** A queue's exit-code policy: "only 75,111", "not 2", "invalid", or "every failure". */
  function retryText(q) {
    if (q.retry_on === "invalid" || q.no_retry_on === "invalid") return "invalid";
    if (Array.isArray(q.retry_on)) return "only " + q.retry_on.join(",");
    if (Array.isArray(q.no_retry_on)) return "not " + q.no_retry_on.join(",");
    return muted("every failure");
  }

  function liveWorkers(list) {
    if (!list.length) {
      return h(
        "p",
        { class: "empty" },
        "No live workers. Start some with ",
        h("code", null, "queuectl worker start"),
        ".",
      );
    }
    return h(
      "table",
      { class: "live-workers grid" },
      thead(["Worker", "Host", ["Busy", "num"], "Running jobs"]),
      h(
        "tbody",
        null,
        list.map((w) => {
          const jobs = w.jobs || [];
          return h(
            "tr",
            { "data-worker-id": w.id },
            h(
              "td",
              { class: "mono nowrap" },
              w.id,
              w.stop_requested ? h("span", { class: "badge stopping" }, "stopping") : null,
            ),
            h("td", null, w.host || ""),
            h("td", { class: "num" }, jobs.length + "/" + w.concurrency),
            h(
              "td",
              { class: "links" },
              jobs.length ? jobs.map((id) => jobLink(id)) : muted("idle"),
            ),
          );
        }),
      ),
    );
  }

  function drawChart(tp, W) {
    const bs = (tp.bucket_seconds || 60) * 1000;
    const now = Date.now();
    let since = tp.since ? Date.parse(tp.since) : now - 3600000;
    if (isNaN(since)) since = now - 3600000;
    const first = Math.floor(since / bs);
    const n = Math.max(1, Math.min(240, Math.floor(now / bs) - first + 1));
    const byIdx = {};
    (tp.buckets || []).forEach((b) => {
      byIdx[Math.floor(Date.parse(b.start) / bs)] = b.outcomes || {};
    });
    const bars = [];
    let max = 0;
    for (let i = 0; i < n; i++) {
      const o = byIdx[first + i] || {};
      const b = {
        start: (first + i) * bs,
        c: o.completed || 0,
        f: (o.failed || 0) + (o.timeout || 0),
        t: o.timeout || 0,
        other: (o.rescued || 0) + (o.released || 0) + (o.interrupted || 0) + (o.canceled || 0),
      };
      bars.push(b);
      max = Math.max(max, b.c + b.f);
    }
    const top = niceMax(max);
    const H = 150, L = 34, R = 6, T = 8, B = 20;
    const pw = W - L - R, ph = H - T - B, bw = pw / n;
    const svg = s("svg", {
      viewBox: "0 0 " + W + " " + H,
      class: "chart-svg",
      role: "img",
      "aria-label": "Runs per minute, last hour",
    });
    [0, 0.5, 1].forEach((f) => {
      const y = T + ph - f * ph;
      svg.appendChild(s("line", { x1: L, x2: W - R, y1: y, y2: y, class: f ? "grid" : "axis" }));
      svg.appendChild(
        s("text", { x: L - 5, y: y + 3.5, class: "ylabel" }, String(Math.round(top * f))),
      );
    });
    bars.forEach((b, i) => {
      const x = L + i * bw;
      const g = s("g", {
        class: "bucket",
        "data-start": new Date(b.start).toISOString(),
        "data-completed": b.c,
        "data-failed": b.f,
      });
      const tip = clock(new Date(b.start)).slice(0, 5) + " — " + b.c + " completed, " + b.f +
        " failed" +
        (b.t ? " (" + b.t + " timed out)" : "") + (b.other ? ", " + b.other + " other" : "");
      g.appendChild(s("title", null, tip));
      g.appendChild(s("rect", { x: x, y: T, width: bw, height: ph, class: "hover" }));
      const hc = top ? (b.c / top) * ph : 0, hf = top ? (b.f / top) * ph : 0;
      const gap = bw > 4 ? 1 : 0;
      if (hc > 0) {
        g.appendChild(
          s("rect", {
            x: x + gap / 2,
            y: T + ph - hc,
            width: bw - gap,
            height: hc,
            class: "bar-completed",
          }),
        );
      }
      if (hf > 0) {
        g.appendChild(
          s("rect", {
            x: x + gap / 2,
            y: T + ph - hc - hf,
            width: bw - gap,
            height: hf,
            class: "bar-failed",
          }),
        );
      }
      svg.appendChild(g);
      const d = new Date(b.start);
      if (d.getMinutes() % 15 === 0 && i < n - 2) {
        svg.appendChild(s("text", { x: x, y: H - 5, class: "xlabel" }, clock(d).slice(0, 5)));
      }
    });
    svg.appendChild(s("text", { x: W - R, y: H - 5, class: "xlabel end" }, "now"));
    if (!max) {
      svg.appendChild(
        s("text", { x: L + pw / 2, y: T + ph / 2, class: "nodata" }, "no runs in the last hour"),
      );
    }
    return svg;
  }
  /** The chart's top: a round number ≥ v whose half is a whole number too. */
  function niceMax(v) {
    if (v <= 4) return 4;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    return [2, 4, 6, 8, 10].map((k) => k * p).find((top) => top >= v);
  }

  // ---------------------------------------------------------------- jobs table

  function jobsTable(jobs, opts) {
    const cols = [
      "ID",
      "State",
      "Queue",
      ["Prio", "num opt"],
      ["Attempts", "num opt"],
      ["Next run / updated", "opt"],
      "Command",
    ];
    if (opts && (opts.retry || opts.rowAction)) cols.push("");
    return h(
      "table",
      { class: "jobs grid" },
      thead(cols),
      h(
        "tbody",
        null,
        jobs.map((j) => {
          const next = j.next_run_at && (j.state === "pending" || j.state === "failed");
          return h(
            "tr",
            { "data-job-id": j.id, "data-state": j.state },
            h("td", { class: "id" }, jobLink(j.id)),
            h("td", null, badge(j.state)),
            h("td", { class: "mono nowrap" }, j.queue, pausedMark(j)),
            h("td", { class: "num opt" }, String(j.priority)),
            h(
              "td",
              { class: "num opt", title: j.attempts + " runs of at most " + (j.max_retries + 1) },
              j.attempts + "/" + (j.max_retries + 1),
            ),
            h(
              "td",
              { class: "nowrap opt", title: next ? "next run" : "updated" },
              next ? h("span", { class: "next" }, "next ", ago(j.next_run_at)) : ago(j.updated_at),
            ),
            h("td", { class: "command mono", title: j.command }, j.command),
            opts && opts.retry
              ? h(
                "td",
                { class: "actions" },
                h("button", {
                  type: "button",
                  class: "btn small",
                  "data-action": "retry",
                  "data-job-id": j.id,
                  onclick: (e) => {
                    retryJobs(e.currentTarget, [j.id]);
                  },
                }, "Retry"),
              )
              : opts && opts.rowAction
              ? h("td", { class: "row-action" }, opts.rowAction(j))
              : null,
          );
        }),
      ),
    );
  }

  /** A "paused" badge for a waiting job whose queue is paused (the overview's queues), else null. */
  function pausedMark(j) {
    if (j.state !== "pending" && j.state !== "failed") return null;
    const q = ((overview && overview.queues) || []).find((x) => x.name === j.queue);
    if (!q || !q.paused) return null;
    return [
      " ",
      h("span", {
        class: "badge stopping",
        "data-queue-paused": "true",
        title: "Its queue is paused: no worker starts it until the queue is resumed" +
          (q.paused_until ? " (" + fmtTime(q.paused_until) + ")" : ""),
      }, "queue paused"),
    ];
  }

  function retryJobs(button, ids) {
    return act(button, "POST", "/api/dlq/retry", ids ? { ids: ids } : { all: true }, (d) => {
      const r = (d && d.retried) || [];
      return r.length
        ? "Retried " + (r.length === 1 ? r[0] : plural(r.length, "job"))
        : "Nothing to retry";
    });
  }

  function option(value, label, selected) {
    return h("option", { value: value, selected: selected }, label);
  }

  /** The jobs list, or (dlq) the dead-letter queue. */
  function jobsView(root, _arg, params, dlq) {
    document.title = dlq ? "Dead letters · queuectl" : "Jobs · queuectl";
    let p = {};
    const stateSel = h("select", { name: "state", "aria-label": "State" });
    const queueSel = h("select", { name: "queue", "aria-label": "Queue" });
    const search = h("input", {
      name: "q",
      type: "search",
      placeholder: "Search id or command",
      "aria-label": "Search",
      spellcheck: "false",
    });
    const form = h(
      "form",
      {
        id: "job-filters",
        class: "filters",
        onsubmit: (e) => {
          e.preventDefault();
        },
      },
      dlq ? null : h("label", null, "State ", stateSel),
      h("label", null, "Queue ", queueSel),
      search,
    );
    const tableBox = h("div", { class: "table-wrap" });
    const batchNote = h("p", { id: "batch-filter", class: "muted", hidden: true });
    const info = h("span", { id: "page-info", class: "page-info" });
    const prev = h("button", {
      type: "button",
      class: "btn small",
      "data-action": "prev",
      onclick: () => {
        go({ offset: Math.max(0, p.offset - PAGE) });
      },
    }, "‹ Prev");
    const next = h("button", {
      type: "button",
      class: "btn small",
      "data-action": "next",
      onclick: () => {
        go({ offset: p.offset + PAGE });
      },
    }, "Next ›");
    const retryMatching = dlq ? null : OPS.jobsList();
    const retryAll = dlq
      ? h("button", {
        type: "button",
        class: "btn danger",
        "data-action": "retry-all",
        disabled: true,
        onclick: (e) => {
          retryJobs(e.currentTarget, null);
        },
      }, "Retry all")
      : null;
    add(root, [
      h(
        "div",
        { class: "view-head" },
        h("h1", null, dlq ? "Dead letters" : "Jobs"),
        retryAll,
        retryMatching && retryMatching.button,
      ),
      form,
      retryMatching && retryMatching.bar,
      batchNote,
      tableBox,
      h("div", { class: "pager" }, prev, info, next),
    ]);

    if (!dlq) {
      add(stateSel, option("", "all"));
      STATES.forEach((st) => {
        add(stateSel, option(st, st));
      });
      stateSel.addEventListener("change", () => {
        go({ state: stateSel.value, offset: 0 });
      });
    }
    queueSel.addEventListener("change", () => {
      go({ queue: queueSel.value, offset: 0 });
    });
    let typing = 0;
    search.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        go({ q: search.value, offset: 0 }, true);
      }, 250);
    });

    function hashFor(over) {
      const n = Object.assign({}, p, over);
      return (dlq ? "#/dlq" : "#/jobs") +
        qs({
          state: dlq ? "" : n.state,
          queue: n.queue,
          q: n.q,
          batch: n.batch,
          offset: n.offset || "",
        });
    }
    function go(over, replace) {
      if (replace) replaceHash(hashFor(over));
      else location.hash = hashFor(over);
    }
    function update(params) {
      const off = parseInt(params.get("offset") || "0", 10);
      p = {
        state: dlq ? "dead" : params.get("state") || "",
        queue: params.get("queue") || "",
        q: params.get("q") || "",
        batch: params.get("batch") || "",
        offset: off > 0 ? off : 0,
      };
      region(batchNote, p.batch, () =>
        p.batch
          ? [
            "Batch ",
            h("b", { class: "mono" }, p.batch),
            " ",
            h("a", { href: hashFor({ batch: "", offset: 0 }) }, "(all jobs)"),
          ]
          : []);
      batchNote.hidden = !p.batch;
      if (!dlq) {
        if (p.state && !stateSel.querySelector('option[value="' + CSS.escape(p.state) + '"]')) {
          add(stateSel, option(p.state, p.state));
        }
        stateSel.value = p.state;
      }
      fillQueues();
      if (retryMatching) retryMatching.update(p);
      if (document.activeElement !== search && search.value !== p.q) search.value = p.q;
    }
    function fillQueues() {
      const names = queueNames().slice();
      if (p.queue && names.indexOf(p.queue) < 0) names.push(p.queue);
      region(queueSel, JSON.stringify(names), () => {
        return [option("", "all")].concat(names.map((q) => option(q, q)));
      });
      queueSel.value = p.queue;
    }
    update(params);

    return {
      update: update,
      refresh: (ctx) => {
        const path = "/api/jobs" +
          qs({
            state: p.state,
            queue: p.queue,
            q: p.q,
            batch: p.batch,
            limit: PAGE,
            offset: p.offset,
          });
        return Promise.all([api("GET", path), freshOverview()]).then((r) => {
          if (!ctx.ok()) return;
          fillQueues();
          const d = r[0] || {};
          const jobs = d.jobs || [];
          const total = d.total || 0;
          const paused = ((overview && overview.queues) || []).filter((q) => q.paused);
          region(tableBox, JSON.stringify([jobs, paused]), () => {
            if (jobs.length) {
              return jobsTable(jobs, {
                retry: dlq,
                rowAction: retryMatching && retryMatching.rowAction,
              });
            }
            const filtered = p.queue || p.q || p.batch || (!dlq && p.state);
            return h(
              "p",
              { class: "empty" },
              p.offset && total
                ? "No jobs on this page."
                : dlq
                ? (filtered
                  ? "No dead jobs match."
                  : "No dead jobs. Jobs land here when they run out of retries.")
                : filtered
                ? "No jobs match these filters."
                : "No jobs yet. Enqueue one with the button above.",
            );
          });
          info.textContent = jobs.length
            ? (p.offset + 1) + "–" + (p.offset + jobs.length) + " of " + total
            : "0 of " + total;
          prev.disabled = p.offset <= 0;
          next.disabled = p.offset + jobs.length >= total;
          if (retryAll) {
            retryAll.disabled = !total;
            retryAll.textContent = p.queue || p.q
              ? "Retry all dead jobs"
              : "Retry all" + (total ? " (" + total + ")" : "");
          }
        });
      },
    };
  }

  // ---------------------------------------------------------------- one job

  function jobView(root, id) {
    document.title = id + " · queuectl";
    let job = null;
    const stateEl = h("span", { id: "job-state", class: "badge" }, "…");
    const actions = h("div", { id: "job-actions", class: "actions" });
    const fields = h("dl", { id: "job-fields", class: "fields" });
    const deps = h("section", { class: "panel", hidden: true });
    const liveBox = h("section", { id: "live-output", class: "panel live", hidden: true });
    const runsBox = h("section", { class: "panel" });
    const openRuns = {};
    let tail = null; // {run, stdout, stderr, outPre, errPre}
    let notFound = false;
    const operator = OPS.jobView(id);

    add(root, [
      h(
        "div",
        { class: "view-head" },
        h("h1", null, "Job ", h("span", { id: "job-id", class: "mono" }, id)),
        stateEl,
        actions,
      ),
      operator.panel,
      h("section", { class: "panel" }, fields),
      liveBox,
      deps,
      runsBox,
    ]);

    function render(j) {
      job = j;
      operator.render(j);
      stateEl.textContent = j.state;
      stateEl.setAttribute("data-state", j.state);
      stateEl.setAttribute("class", "badge big state-" + j.state);
      region(actions, j.state + (j.cancel_requested_at ? "+c" : ""), () => {
        const out = [];
        if (CANCELABLE.indexOf(j.state) >= 0) {
          out.push(h("button", {
            type: "button",
            class: "btn danger",
            "data-action": "cancel",
            disabled: !!j.cancel_requested_at,
            title: j.cancel_requested_at ? "cancel requested" : null,
            onclick: (e) => {
              act(
                e.currentTarget,
                "POST",
                "/api/jobs/" + encodeURIComponent(id) + "/cancel",
                {},
                (d) => {
                  return (d && d.stopping && d.stopping.length)
                    ? "Stopping " + id
                    : (d && d.canceled && d.canceled.length)
                    ? "Canceled " + plural(d.canceled.length, "job")
                    : "Nothing to cancel";
                },
              );
            },
          }, j.cancel_requested_at ? "Stopping…" : "Cancel"));
        }
        out.push(...operator.actions(j));
        return out;
      });
      const f = Object.assign({}, j);
      delete f.runs;
      delete f.parents;
      delete f.children;
      region(fields, JSON.stringify([f, pausedMark(j) !== null]), () => fieldList(j));
      const parents = j.parents || [], children = j.children || [];
      deps.hidden = !parents.length && !children.length;
      region(deps, JSON.stringify([parents, children]), () => {
        return [
          h("h2", null, "Dependencies"),
          h(
            "div",
            { class: "deps" },
            depList("job-parents", "Waits for", parents),
            depList("job-children", "Needed by", children),
          ),
        ];
      });
      const runs = (j.runs || []).slice().reverse();
      region(runsBox, JSON.stringify(runs), () => runList(runs));
    }

    function fieldList(j) {
      const rows = [
        ["command", h("pre", { class: "command" }, j.command)],
        [
          "queue",
          h(
            "span",
            null,
            h("a", { href: "#/jobs" + qs({ queue: j.queue }), class: "mono" }, j.queue),
            pausedMark(j),
          ),
        ],
        ["priority", String(j.priority)],
        [
          "attempts",
          j.attempts + " of " + (j.max_retries + 1) + " (max_retries " + j.max_retries + ")",
        ],
        [
          "timeout",
          j.timeout === null || j.timeout === undefined
            ? muted("config")
            : j.timeout
            ? j.timeout + " s"
            : "none",
        ],
        [
          "backoff_base",
          j.backoff_base === null || j.backoff_base === undefined
            ? muted("config")
            : String(j.backoff_base),
        ],
        ["shell", j.shell ? h("span", { class: "mono" }, j.shell) : muted("config")],
        ["cwd", j.cwd ? h("span", { class: "mono" }, j.cwd) : muted("worker's")],
        [
          "env",
          j.env && Object.keys(j.env).length
            ? h("pre", null, Object.keys(j.env).map((k) => k + "=" + j.env[k]).join("\n"))
            : muted("—"),
        ],
        [
          "unique_key",
          j.unique_key
            ? h(
              "span",
              { class: "mono" },
              j.unique_key + (j.unique_policy
                ? " (" + j.unique_policy +
                  (j.debounce_max === null || j.debounce_max === undefined
                    ? ""
                    : ", max " + j.debounce_max + " s") +
                  ")"
                : ""),
            )
            : muted("—"),
        ],
        ["group_key", j.group_key ? h("span", { class: "mono" }, j.group_key) : muted("—")],
        ["retry_on", exitCodes(j.retry_on)],
        ["no_retry_on", exitCodes(j.no_retry_on)],
        ["on_finish", finishHook(j)],
        ["hook_for", typeof j.hook_for === "string" ? jobLink(j.hook_for) : muted("—")],
        ["created_at", when(j.created_at)],
        ["updated_at", when(j.updated_at)],
        ["run_at", when(j.run_at)],
        ["next_run_at", when(j.next_run_at)],
        ["started_at", when(j.started_at)],
        ["finished_at", when(j.finished_at)],
        [
          "exit_code",
          j.exit_code === null || j.exit_code === undefined ? muted("—") : String(j.exit_code),
        ],
        ["last_error", j.last_error ? h("pre", { class: "error" }, j.last_error) : muted("—")],
        [
          "worker_id",
          j.worker_id ? h("a", { href: "#/workers", class: "mono" }, j.worker_id) : muted("—"),
        ],
        ["lease_expires_at", when(j.lease_expires_at)],
        ["cancel_requested_at", when(j.cancel_requested_at)],
        [
          "batch",
          j.batch
            ? h("a", { href: "#/batches", class: "mono" }, j.batch)
            : j.env && j.env.QUEUECTL_BATCH
            ? muted("— (a callback of batch " + j.env.QUEUECTL_BATCH + ")")
            : muted("—"),
        ],
      ];
      return rows.map((r) => {
        const wide = r[1].tagName === "PRE";
        return h(
          "div",
          { class: wide ? "field wide" : "field" },
          h("dt", null, r[0].replace(/_/g, " ")),
          h("dd", { "data-field": r[0] }, r[1]),
        );
      });
    }

    function depList(idAttr, label, list) {
      return h(
        "div",
        null,
        h("h3", null, label),
        list.length
          ? h(
            "ul",
            { id: idAttr, class: "dep-list" },
            list.map((d) => {
              return h("li", null, jobLink(d.id), " ", badge(d.state));
            }),
          )
          : muted("nothing"),
      );
    }

    function runList(runs) {
      if (!runs.length) {
        return [
          h("h2", null, "Runs"),
          h(
            "p",
            { class: "empty" },
            job && job.state === "processing"
              ? "The first run is in progress."
              : "No finished runs yet.",
          ),
        ];
      }
      const table = h(
        "table",
        { class: "runs grid" },
        thead([["#", "num"], "Worker", "Started", "Finished", ["Took", "num"], "Outcome", [
          "Exit",
          "num",
        ], "Error"]),
        h(
          "tbody",
          null,
          runs.map((r) => {
            return h(
              "tr",
              { "data-attempt": r.attempt, "data-outcome": r.outcome },
              h("td", { class: "num" }, String(r.attempt)),
              h("td", { class: "mono nowrap" }, r.worker_id || "—"),
              h("td", { class: "nowrap" }, fmtTime(r.started_at)),
              h("td", { class: "nowrap" }, fmtTime(r.finished_at)),
              h("td", { class: "num nowrap" }, duration(r.started_at, r.finished_at)),
              h("td", null, h("span", { class: "badge outcome-" + r.outcome }, r.outcome)),
              h(
                "td",
                { class: "num" },
                r.exit_code === null || r.exit_code === undefined ? "—" : String(r.exit_code),
              ),
              h("td", { class: "error-cell", title: r.error || "" }, r.error || ""),
            );
          }),
        ),
      );
      const outputs = runs.map((r, i) => {
        const k = r.attempt + "|" + r.started_at;
        const det = h(
          "details",
          {
            class: "run-output",
            "data-attempt": r.attempt,
            open: k in openRuns ? openRuns[k] : i === 0,
          },
          h(
            "summary",
            null,
            "Attempt " + r.attempt + " output ",
            h(
              "span",
              { class: "muted" },
              "stdout " + bytes(r.stdout_bytes) + ", stderr " + bytes(r.stderr_bytes),
            ),
          ),
          stream("stdout", r.stdout, r.stdout_bytes),
          stream("stderr", r.stderr, r.stderr_bytes),
        );
        det.addEventListener("toggle", () => {
          openRuns[k] = det.open;
        });
        return det;
      });
      return [h("h2", null, "Runs"), h("div", { class: "table-wrap" }, table), outputs];
    }

    function stream(name, text, n) {
      return h(
        "div",
        { class: "stream" },
        h("div", { class: "stream-name" }, name),
        text || n
          ? h("pre", { class: "output " + name }, text || "")
          : h("pre", { class: "output empty-output " + name }, "(empty)"),
      );
    }

    function resetTail(run) {
      const outPre = h("pre", { id: "live-stdout", class: "output stdout" });
      const errPre = h("pre", { id: "live-stderr", class: "output stderr" });
      tail = { run: run, stdout: 0, stderr: 0, outPre: outPre, errPre: errPre };
      liveBox.replaceChildren(
        h(
          "h2",
          null,
          "Live output ",
          h("span", { class: "pulse" }),
          h("span", { class: "muted small" }, job ? " attempt " + job.attempts : ""),
        ),
        h("div", { class: "stream" }, h("div", { class: "stream-name" }, "stdout"), outPre),
        h("div", { class: "stream" }, h("div", { class: "stream-name" }, "stderr"), errPre),
      );
    }

    function append(pre, chunk, have) {
      if (!chunk) return have;
      let text = chunk.text || "";
      const at = typeof chunk.offset === "number" ? chunk.offset : have;
      if (at > have) text = "[… " + bytes(at - have) + " not shown …]\n" + text;
      if (!text) return have;
      const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
      pre.appendChild(document.createTextNode(text));
      if (stick) pre.scrollTop = pre.scrollHeight;
      // "next": where the server's text ends (whole UTF-8 characters only).
      return typeof chunk.next === "number" ? chunk.next : at + utf8Len(chunk.text || "");
    }

    function pollOutput(ctx) {
      if (!tail) resetTail(null);
      return api(
        "GET",
        "/api/jobs/" + encodeURIComponent(id) + "/output" +
          qs({ stdout: tail.stdout, stderr: tail.stderr }),
      ).then((o) => {
        if (!ctx.ok() || !o) return;
        if (o.run === null || o.run === undefined) {
          liveBox.hidden = true;
          tail = null;
          return;
        }
        if (tail.run !== o.run) {
          const fresh = tail.run === null && tail.stdout === 0 && tail.stderr === 0;
          resetTail(o.run);
          if (!fresh) return pollOutput(ctx); // the offsets were another run's
        }
        liveBox.hidden = false;
        tail.stdout = append(tail.outPre, o.stdout, tail.stdout);
        tail.stderr = append(tail.errPre, o.stderr, tail.stderr);
      });
    }

    return {
      interval: () => job && job.state === "processing" ? 1000 : TICK,
      refresh: (ctx) => {
        const read = Promise.all([
          api("GET", "/api/jobs/" + encodeURIComponent(id)),
          freshOverview(),
        ]);
        return read.then((r) => r[0]).then((j) => {
          if (!ctx.ok() || !j) return;
          if (notFound) {
            notFound = false;
            root.classList.remove("missing");
          }
          render(j);
          if (j.state === "processing") return pollOutput(ctx);
          liveBox.hidden = true;
          tail = null;
        }, (e) => {
          if (e.status !== 404) throw e;
          if (!ctx.ok()) return;
          notFound = true;
          root.classList.add("missing");
          stateEl.textContent = "not found";
          stateEl.setAttribute("data-state", "missing");
          stateEl.setAttribute("class", "badge big");
          region(fields, "404", () => h("p", { class: "empty" }, e.message));
          actions.replaceChildren();
          actions._key = null;
        });
      },
    };
  }

  function utf8Len(str) {
    let n = 0;
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        n += 4;
        i++;
      } else n += 3;
    }
    return n;
  }
  function bytes(n) {
    n = n || 0;
    return n < 1024
      ? n + " B"
      : n < 1048576
      ? (n / 1024).toFixed(1) + " KiB"
      : (n / 1048576).toFixed(1) + " MiB";
  }

  // ---------------------------------------------------------------- batches

  function batchesView(root) {
    document.title = "Batches · queuectl";
    const box = h("div", { class: "table-wrap" });
    add(root, [h("div", { class: "view-head" }, h("h1", null, "Batches")), box]);
    function callback(b, key) {
      const c = b[key];
      if (!c) return h("td", { class: "callback", "data-callback": key }, muted("—"));
      return h(
        "td",
        { class: "callback", "data-callback": key, "data-state": c.state || "purged" },
        jobLink(c.job_id),
        " ",
        c.state ? badge(c.state) : muted("purged"),
        h("div", { class: "command mono small", title: c.command }, c.command),
      );
    }
    return {
      refresh: (ctx) => {
        return api("GET", "/api/batches").then((list) => {
          if (!ctx.ok()) return;
          list = list || [];
          region(box, JSON.stringify(list), () => {
            if (!list.length) {
              return h(
                "p",
                { class: "empty" },
                "No batches. Make one with ",
                h(
                  "code",
                  null,
                  "queuectl enqueue --file jobs.jsonl --batch NAME --on-complete CMD",
                ),
                ".",
              );
            }
            return h(
              "table",
              { class: "batches grid" },
              thead(
                ["Batch", "Status", ["Jobs", "num"]]
                  .concat(STATES.map((st) => [st, "num"]))
                  .concat(["Created", "Settled", "On complete", "On failure"]),
              ),
              h(
                "tbody",
                null,
                list.map((b) => {
                  const jobs = b.jobs || {};
                  return h(
                    "tr",
                    { "data-batch": b.name, "data-status": b.status },
                    h(
                      "td",
                      { class: "mono" },
                      h("a", {
                        class: "batch-jobs",
                        href: "#/jobs" + qs({ batch: b.name }),
                        title: "jobs of this batch",
                      }, b.name),
                    ),
                    h("td", null, h("span", { class: "badge outcome-" + b.status }, b.status)),
                    h("td", { class: "num" }, String(b.total)),
                    STATES.map((st) =>
                      h("td", { class: "num", "data-state": st }, String(jobs[st] || 0))
                    ),
                    h("td", { class: "nowrap" }, ago(b.created_at)),
                    h("td", { class: "nowrap" }, b.settled_at ? ago(b.settled_at) : muted("—")),
                    callback(b, "on_complete"),
                    callback(b, "on_failure"),
                  );
                }),
              ),
            );
          });
        });
      },
    };
  }

  // ---------------------------------------------------------------- schedules

  function schedulesView(root) {
    document.title = "Schedules · queuectl";
    const box = h("div", { class: "table-wrap" });
    add(root, [h("div", { class: "view-head" }, h("h1", null, "Schedules")), box]);
    return {
      refresh: (ctx) => {
        return api("GET", "/api/schedules").then((list) => {
          if (!ctx.ok()) return;
          list = list || [];
          region(box, JSON.stringify(list), () => {
            if (!list.length) {
              return h(
                "p",
                { class: "empty" },
                "No schedules. Add one with ",
                h("code", null, "queuectl schedule add NAME CRON -- COMMAND"),
                ".",
              );
            }
            return h(
              "table",
              { class: "schedules grid" },
              thead(["Name", "Cron", "Zone", "State", "Next run", "Last run", "Queue", "Command"]),
              h(
                "tbody",
                null,
                list.map((sc) => {
                  const job = sc.job || {};
                  return h(
                    "tr",
                    { "data-schedule": sc.name, "data-paused": sc.paused ? "true" : "false" },
                    h(
                      "td",
                      { class: "mono" },
                      h("a", {
                        href: "#/jobs" + qs({ q: sc.name + "-" }),
                        title: "jobs of this schedule",
                      }, sc.name),
                    ),
                    h("td", { class: "mono nowrap" }, sc.cron),
                    h("td", null, sc.timezone || "UTC"),
                    h(
                      "td",
                      null,
                      sc.paused
                        ? h("span", { class: "badge paused" }, "paused")
                        : h("span", { class: "badge active" }, "active"),
                      sc.missed
                        ? h("span", { class: "muted small" }, " missed: " + sc.missed)
                        : null,
                    ),
                    h(
                      "td",
                      { class: "nowrap", title: fmtTime(sc.next_run_at) },
                      sc.paused ? muted("—") : ago(sc.next_run_at),
                    ),
                    h("td", { class: "nowrap" }, ago(sc.last_run_at)),
                    h("td", { class: "mono" }, job.queue || "default"),
                    h("td", { class: "command mono", title: job.command || "" }, job.command || ""),
                  );
                }),
              ),
            );
          });
        });
      },
    };
  }

  // ---------------------------------------------------------------- workers

  function workersView(root) {
    document.title = "Workers · queuectl";
    const box = h("div", { class: "table-wrap" });
    const startErr = h("span", {
      id: "start-workers-error",
      class: "form-error",
      role: "alert",
      hidden: true,
    });
    const count = h("input", {
      name: "count",
      type: "number",
      min: "1",
      max: "64",
      value: "1",
      "aria-label": "Slots",
      class: "count-input",
    });
    const startBtn = h("button", {
      type: "submit",
      class: "btn primary",
      "data-action": "start-workers",
    }, "Start workers");
    const startForm = h(
      "form",
      {
        id: "start-workers",
        novalidate: true,
        class: "inline-form",
        hidden: true,
        onsubmit: (e) => {
          e.preventDefault();
          startErr.hidden = true;
          const n = Number(count.value);
          startBtn.disabled = true;
          api("POST", "/api/workers/start", {
            count: count.value.trim() === "" || isNaN(n) ? count.value : n,
          }).then((d) => {
            flash("Started worker " + ((d && d.worker_id) || ""), "ok");
          }, (err) => {
            startErr.textContent = err.message;
            startErr.hidden = false;
          }).then(() => {
            startBtn.disabled = false;
            tick();
          });
        },
      },
      h("label", null, "Slots ", count),
      startBtn,
      startErr,
    );
    add(root, [h("div", { class: "view-head" }, h("h1", null, "Workers"), startForm), box]);

    return {
      refresh: (ctx) => {
        return Promise.all([api("GET", "/api/workers"), freshOverview()]).then((r) => {
          if (!ctx.ok()) return;
          startForm.hidden = !(r[1] && r[1].worker_control);
          const list = r[0] || [];
          region(box, JSON.stringify(list), () => {
            if (!list.length) {
              return h(
                "p",
                { class: "empty" },
                "No workers. Start one with ",
                h("code", null, "queuectl worker start"),
                ".",
              );
            }
            return h(
              "table",
              { class: "workers grid" },
              thead([
                "Worker",
                "Host",
                ["PID", "num"],
                ["Slots", "num"],
                "Started",
                "Heartbeat",
                "Alive",
                "Running jobs",
                "Stop",
                "",
              ]),
              h(
                "tbody",
                null,
                list.map((w) => {
                  const jobs = w.jobs || [];
                  const alive = w.alive !== false;
                  return h(
                    "tr",
                    {
                      "data-worker-id": w.id,
                      "data-alive": alive ? "true" : "false",
                      class: alive ? "" : "gone",
                    },
                    h("td", { class: "mono nowrap" }, w.id),
                    h("td", null, w.host || ""),
                    h(
                      "td",
                      { class: "num" },
                      w.pid === null || w.pid === undefined ? "—" : String(w.pid),
                    ),
                    h("td", { class: "num" }, jobs.length + "/" + w.concurrency),
                    h("td", { class: "nowrap" }, ago(w.started_at)),
                    h("td", { class: "nowrap" }, ago(w.heartbeat_at)),
                    h(
                      "td",
                      null,
                      alive
                        ? h("span", { class: "badge alive" }, "alive")
                        : h("span", { class: "badge gone" }, "gone"),
                    ),
                    h(
                      "td",
                      { class: "links" },
                      jobs.length ? jobs.map((id) => jobLink(id)) : muted("idle"),
                    ),
                    h(
                      "td",
                      null,
                      w.stop_requested
                        ? h("span", { class: "badge stopping" }, w.stop_requested)
                        : muted("—"),
                    ),
                    h(
                      "td",
                      { class: "actions" },
                      h("button", {
                        type: "button",
                        class: "btn small",
                        "data-action": "stop",
                        "data-worker-id": w.id,
                        disabled: !alive || !!w.stop_requested,
                        title: "Finish running jobs, take no new ones, exit",
                        onclick: (e) => {
                          act(
                            e.currentTarget,
                            "POST",
                            "/api/workers/" + encodeURIComponent(w.id) + "/stop",
                            { mode: "drain" },
                            () => {
                              return "Stopping " + w.id;
                            },
                          );
                        },
                      }, "Stop"),
                    ),
                  );
                }),
              ),
            );
          });
        });
      },
    };
  }

  function notFoundView(root) {
    add(root, [
      h("h1", null, "Not found"),
      h("p", null, "No such page. ", h("a", { href: "#/" }, "Go to the overview"), "."),
    ]);
    return { refresh: () => loadOverview() };
  }

  const VIEWS = {
    overview: overviewView,
    jobs: (root, arg, params) => jobsView(root, arg, params, false),
    dlq: (root, arg, params) => jobsView(root, arg, params, true),
    job: jobView,
    batches: batchesView,
    schedules: schedulesView,
    workers: workersView,
    notfound: notFoundView,
  };

  // ---------------------------------------------------------------- enqueue form

  const panel = document.getElementById("enqueue-panel");
  const toggle = document.getElementById("enqueue-toggle");
  const eform = document.getElementById("enqueue-form");
  const eerr = document.getElementById("enqueue-error");

  function openPanel(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) eform.elements.command.focus();
  }
  toggle.addEventListener("click", () => {
    openPanel(panel.hidden);
  });
  eform.querySelector('[data-action="close-enqueue"]').addEventListener("click", () => {
    openPanel(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !panel.hidden) openPanel(false);
  });

  eform.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {};
    const el = eform.elements;
    body.command = el.command.value;
    ["queue", "delay"].forEach((k) => {
      const v = el[k].value.trim();
      if (v !== "") body[k] = k === "delay" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    });
    ["priority", "max_retries", "timeout"].forEach((k) => {
      const v = el[k].value.trim();
      if (v === "") return;
      // Numbers go as numbers; anything else as typed, for the server to refuse with its message.
      body[k] = /^[-+]?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
    });
    const submit = eform.querySelector('button[type="submit"]');
    submit.disabled = true;
    eerr.hidden = true;
    api("POST", "/api/jobs", body).then((job) => {
      eform.reset();
      openPanel(false);
      overviewAt = 0;
      flash(
        (job && job.existing ? "Already queued (unique key): " : "Enqueued ") + (job && job.id),
        "ok",
      );
      if (job && job.id) location.hash = jobHref(job.id);
    }, (err) => {
      eerr.textContent = err.message;
      eerr.hidden = false;
    }).then(() => {
      submit.disabled = false;
    });
  });

  // ---------------------------------------------------------------- start

  route();
  freshOverview();
})();
