/**
 * End-to-end tests of `queuectl dashboard` over HTTP, on every store: the server is started as a
 * user starts it (`dashboard --port 0`, its URL read from its first line of output) on a sandbox
 * whose jobs are made through the CLI, and every answer is checked against what the CLI says
 * (`status --json`, `info --json`, `queue list --json`, the CLI's error messages).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import {
  makeSandbox,
  onEveryStore,
  snapshotDatabase,
  TEST_STORE,
  waitFor,
} from "../helpers/cli.ts";
import {
  cliError,
  makeDead,
  metricValue,
  parseMetrics,
  postHeaders,
  rawHttp,
  seedStates,
  startDashboard,
  STATES,
  withDashboard,
} from "../helpers/dashboard.ts";
import { enqueue, type Json, q, startWorker, waitForState } from "../helpers/jobs.ts";
import { type HeldLock, holdTableLock, lockWaits, TEST_POSTGRES_URL } from "../helpers/postgres.ts";

function sorted(values: unknown[]): string[] {
  return values.map(String).sort();
}

function ids(jobs: Json[]): string[] {
  return jobs.map((job) => String(job.id));
}

onEveryStore.test("dashboard: /healthz, /api/session, the page with its CSP and CSRF token, the assets", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    assert.match(dashboard.printed, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(dashboard.port > 0);
    // The line for people follows the URL on stdout: it may arrive a moment later.
    await waitFor(
      "the dashboard's line on stderr",
      () => /queuectl dashboard on http:\/\/127\.0\.0\.1:\d+\//.test(dashboard.log()),
    );

    const health = await dashboard.get("/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });

    const session = await dashboard.get("/api/session");
    assert.equal(session.status, 200);
    assert.match(session.json.csrf_token, /^[0-9a-f]{32}$/);
    assert.equal(session.json.worker_control, false);

    const page = await dashboard.get("/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    for (
      const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
      ]
    ) {
      assert.ok(csp.includes(directive), `CSP ${JSON.stringify(csp)} lacks ${directive}`);
    }
    assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"), csp);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const meta = /<meta name="csrf-token" content="([^"]*)">/.exec(page.text);
    assert.ok(meta, "the page has no csrf-token meta tag");
    assert.equal(meta[1], session.json.csrf_token);
    assert.match(
      page.text,
      /<script src="\/assets\/operator\.js" defer><\/script>\n<script src="\/assets\/app\.js" defer><\/script>/,
    );
    assert.ok(!/<script>/.test(page.text), "the page must have no inline script");

    const script = await dashboard.get("/assets/app.js");
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type")!, /^text\/javascript/);
    assert.ok(script.text.includes('"use strict"'));
    assert.ok(script.text.includes("/api/overview"));
    const operator = await dashboard.get("/assets/operator.js");
    assert.equal(operator.status, 200);
    assert.match(operator.headers.get("content-type")!, /^text\/javascript/);
    assert.ok(operator.text.includes("self.queuectlOperator"));
    const style = await dashboard.get("/assets/style.css");
    assert.equal(style.status, 200);
    assert.match(style.headers.get("content-type")!, /^text\/css/);

    const missing = await dashboard.get("/nope");
    assert.equal(missing.status, 404);
    assert.match(missing.json.error, /Not found/);
    const missingApi = await dashboard.get("/api/nope");
    assert.equal(missingApi.status, 404);
    const wrongMethod = await dashboard.request("DELETE", "/api/jobs");
    assert.equal(wrongMethod.status, 405);
  });
});

onEveryStore.test("dashboard API: overview, job list filters and paging, job detail, /metrics, over jobs in six states", async (t) => {
  await using sandbox = await makeSandbox();
  const seeded = await seedStates(sandbox);
  await withDashboard(sandbox, [], async (dashboard) => {
    await t.step(
      "GET /api/overview counts match status --json and queue list --json",
      async () => {
        const overview = await dashboard.get("/api/overview");
        assert.equal(overview.status, 200, overview.text);
        const status = await sandbox.status();
        assert.deepEqual(overview.json.counts, status.jobs);
        assert.deepEqual(overview.json.counts, seeded.counts);
        const queues = JSON.parse(await sandbox.ok(["queue", "list", "--json"]));
        // The same objects as queue list --json (limits, pauses, retry lists, counts).
        assert.deepEqual(overview.json.queues, queues);
        assert.deepEqual(
          Object.fromEntries(overview.json.queues.map((queue: Json) => [queue.name, queue.jobs])),
          seeded.byQueue,
        );
        assert.deepEqual(overview.json.last_hour, {
          runs: 5,
          completed: 3,
          failed: 2,
          failure_rate: 0.4,
        });
        const perOutcome: Record<string, number> = {};
        for (const bucket of overview.json.throughput.buckets) {
          for (const [outcome, count] of Object.entries(bucket.outcomes)) {
            perOutcome[outcome] = (perOutcome[outcome] ?? 0) + Number(count);
          }
        }
        assert.deepEqual(perOutcome, { completed: 3, failed: 2 });
        assert.equal(overview.json.throughput.bucket_seconds, 60);
        assert.ok(
          overview.json.workers.every((worker: Json) => worker.alive === false),
          "the seeding worker has stopped",
        );
        assert.equal(overview.json.worker_control, false);
        assert.equal(typeof overview.json.location, "string");
      },
    );

    await t.step("GET /api/jobs filters by state, queue and q", async () => {
      const all = await dashboard.get("/api/jobs");
      assert.equal(all.status, 200, all.text);
      assert.equal(all.json.total, 11);
      assert.equal(all.json.limit, 50);
      assert.equal(all.json.offset, 0);
      assert.deepEqual(sorted(ids(all.json.jobs)), sorted(Object.values(seeded.ids).flat()));

      for (const state of STATES) {
        const list = await dashboard.get(`/api/jobs?state=${state}`);
        assert.equal(list.status, 200, list.text);
        assert.equal(list.json.total, seeded.ids[state].length, `total of state=${state}`);
        assert.deepEqual(sorted(ids(list.json.jobs)), sorted(seeded.ids[state]), state);
        assert.ok(list.json.jobs.every((job: Json) => job.state === state));
      }
      const two = await dashboard.get("/api/jobs?state=pending,failed");
      assert.equal(two.json.total, 5);

      const beta = await dashboard.get("/api/jobs?queue=beta");
      assert.deepEqual(sorted(ids(beta.json.jobs)), ["cancel-me", "dead-1", "flaky-1"]);
      assert.equal(beta.json.total, 3);
      const twoQueues = await dashboard.get("/api/jobs?queue=beta,gamma");
      assert.equal(twoQueues.json.total, 5);
      const alphaPending = await dashboard.get("/api/jobs?queue=alpha&state=pending");
      assert.deepEqual(sorted(ids(alphaPending.json.jobs)), ["wait-1", "wait-2"]);
      assert.equal(alphaPending.json.total, 2);

      const search = await dashboard.get("/api/jobs?q=alpha-ok");
      assert.deepEqual(sorted(ids(search.json.jobs)), ["ok-1", "ok-2", "ok-3"]);
      assert.equal(search.json.total, 3);
      const oneJob = await dashboard.get("/api/jobs?q=alpha-ok-2");
      assert.deepEqual(ids(oneJob.json.jobs), ["ok-2"]);
      const byId = await dashboard.get("/api/jobs?q=flaky");
      assert.deepEqual(ids(byId.json.jobs), ["flaky-1"]);
      const combined = await dashboard.get("/api/jobs?q=pending&queue=gamma&state=pending");
      assert.deepEqual(sorted(ids(combined.json.jobs)), ["wait-3", "wait-4"]);
      const none = await dashboard.get("/api/jobs?q=no-such-thing");
      assert.deepEqual(none.json, { jobs: [], total: 0, limit: 50, offset: 0 });
      // Search text is data, not a pattern: SQL LIKE wildcards match themselves only.
      const wildcard = await dashboard.get("/api/jobs?q=%25");
      assert.equal(wildcard.status, 200);
      assert.equal(wildcard.json.total, 0, "q=% must not match every job");
      const underscore = await dashboard.get("/api/jobs?q=ok_1");
      assert.equal(underscore.json.total, 0, "q=ok_1 must not match ok-1");
    });

    await t.step(
      "GET /api/jobs pages with limit and offset, newest first, with the total",
      async () => {
        const whole = await dashboard.get("/api/jobs?limit=500");
        const order = ids(whole.json.jobs);
        assert.equal(order.length, 11);
        const created = whole.json.jobs.map((job: Json) => Date.parse(String(job.created_at)));
        for (let i = 1; i < created.length; i++) {
          assert.ok(created[i - 1] >= created[i], `newest first: ${order}`);
        }
        const pages: string[] = [];
        for (const offset of [0, 4, 8]) {
          const page = await dashboard.get(`/api/jobs?limit=4&offset=${offset}`);
          assert.equal(page.status, 200, page.text);
          assert.equal(page.json.total, 11);
          assert.equal(page.json.limit, 4);
          assert.equal(page.json.offset, offset);
          assert.equal(page.json.jobs.length, offset === 8 ? 3 : 4);
          pages.push(...ids(page.json.jobs));
        }
        assert.deepEqual(pages, order, "the pages are the whole list, in order, once");
        const filteredPage = await dashboard.get("/api/jobs?state=pending&limit=3&offset=3");
        assert.equal(filteredPage.json.total, 4);
        assert.equal(filteredPage.json.jobs.length, 1);
        const past = await dashboard.get("/api/jobs?offset=100");
        assert.deepEqual(past.json.jobs, []);
        assert.equal(past.json.total, 11);
        for (
          const bad of [
            "limit=0",
            "limit=501",
            "limit=ten",
            "offset=-1",
            "offset=1.5",
            "state=running",
            "queue=bad%20name",
          ]
        ) {
          const answer = await dashboard.get(`/api/jobs?${bad}`);
          assert.equal(answer.status, 400, `${bad}: ${answer.text}`);
          assert.equal(typeof answer.json.error, "string");
        }
      },
    );

    await t.step("GET /api/jobs/ID has the runs with output, as info --json does", async () => {
      const ok = await dashboard.get("/api/jobs/ok-1");
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.runs.length, 1);
      assert.equal(ok.json.runs[0].stdout, "alpha-ok-1\n");
      assert.equal(ok.json.runs[0].exit_code, 0);
      assert.equal(ok.json.runs[0].outcome, "completed");
      const { after: _after, ...infoWithoutAfter } = await sandbox.info("ok-1");
      assert.deepEqual(ok.json, infoWithoutAfter, "GET /api/jobs/ID is info --json's shape");

      const dead = await dashboard.get("/api/jobs/dead-1");
      assert.equal(dead.json.state, "dead");
      assert.equal(dead.json.runs.length, 1);
      assert.equal(dead.json.runs[0].stderr, "to-stderr\n");
      assert.equal(dead.json.runs[0].exit_code, 3);
      assert.equal(dead.json.runs[0].outcome, "failed");

      const child = await dashboard.get("/api/jobs/child-1");
      assert.equal(child.json.state, "blocked");
      assert.deepEqual(child.json.parents.map((job: Json) => job.id), ["wait-1"]);
      const parent = await dashboard.get("/api/jobs/wait-1");
      assert.deepEqual(parent.json.children.map((job: Json) => job.id), ["child-1"]);
      assert.deepEqual(parent.json.runs, []);
    });

    await t.step("unknown ids are 404, malformed ids 400 (no path traversal)", async () => {
      const unknown = await dashboard.get("/api/jobs/no-such-job");
      assert.equal(unknown.status, 404);
      assert.match(unknown.json.error, /No job with id "no-such-job"/);
      const unknownOutput = await dashboard.get("/api/jobs/no-such-job/output");
      assert.equal(unknownOutput.status, 404);
      const unknownCancel = await dashboard.post("/api/jobs/no-such-job/cancel", {});
      assert.equal(unknownCancel.status, 404);
      for (
        const path of [
          "/api/jobs/..%2F..%2Fetc",
          "/api/jobs/..%2F..%2Fetc%2Fpasswd/output",
          "/api/jobs/%2Fetc%2Fpasswd",
          "/api/jobs/a%00b",
          "/api/jobs/%E0%A4%A",
        ]
      ) {
        const answer = await dashboard.get(path);
        assert.equal(answer.status, 400, `${path}: ${answer.status} ${answer.text}`);
        assert.equal(typeof answer.json.error, "string");
        assert.ok(!answer.text.includes("root:"), `${path} leaked a file`);
      }
      const cancel = await dashboard.post("/api/jobs/..%2F..%2Fetc/cancel", {});
      assert.equal(cancel.status, 400, cancel.text);
    });

    await t.step("/metrics is valid text format and counts the jobs and runs", async () => {
      const response = await dashboard.get("/metrics");
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const metrics = parseMetrics(response.text);
      for (
        const [name, type] of [
          ["queuectl_jobs", "gauge"],
          ["queuectl_job_runs_total", "counter"],
          ["queuectl_jobs_processed_total", "counter"],
          ["queuectl_jobs_failed_total", "counter"],
          ["queuectl_jobs_dead", "gauge"],
          ["queuectl_job_duration_seconds", "histogram"],
          ["queuectl_queue_latency_seconds", "histogram"],
          ["queuectl_workers_alive", "gauge"],
        ]
      ) {
        assert.equal(metrics.get(name)?.type, type, `${name} should be a ${type}`);
      }
      for (const [queue, counts] of Object.entries(seeded.byQueue)) {
        for (const state of STATES) {
          assert.equal(
            metricValue(metrics, "queuectl_jobs", { queue, state }),
            counts[state],
            `queuectl_jobs{queue="${queue}",state="${state}"}`,
          );
        }
      }
      assert.equal(metrics.get("queuectl_jobs")!.samples.length, 3 * STATES.length);
      assert.equal(metricValue(metrics, "queuectl_job_runs_total", { outcome: "completed" }), 3);
      assert.equal(metricValue(metrics, "queuectl_job_runs_total", { outcome: "failed" }), 2);
      for (const outcome of ["timeout", "rescued", "released", "canceled"]) {
        assert.equal(metricValue(metrics, "queuectl_job_runs_total", { outcome }), 0, outcome);
      }
      assert.equal(metricValue(metrics, "queuectl_jobs_processed_total"), 3);
      assert.equal(metricValue(metrics, "queuectl_jobs_failed_total"), 2);
      assert.equal(metricValue(metrics, "queuectl_jobs_dead"), 1);
      assert.equal(metricValue(metrics, "queuectl_workers_alive"), 0);
      for (
        const histogram of ["queuectl_job_duration_seconds", "queuectl_queue_latency_seconds"]
      ) {
        assert.equal(metricValue(metrics, `${histogram}_count`), 5, histogram);
        assert.equal(metricValue(metrics, `${histogram}_bucket`, { le: "+Inf" }), 5);
        // Every run here (echo, exit) took well under a minute, and waited under one too.
        assert.equal(metricValue(metrics, `${histogram}_bucket`, { le: "60" }), 5, histogram);
        assert.ok(metricValue(metrics, `${histogram}_sum`) < 5 * 60, histogram);
      }
    });
  });
});

onEveryStore.test("dashboard API: POST /api/queues/NAME/pause and /resume pause and resume a queue as the CLI does; bad bodies change nothing", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const paused = await dashboard.post("/api/queues/reports/pause", { for: "2h" });
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.json.paused, true);
    const until = Date.parse(paused.json.paused_until);
    assert.ok(until > Date.now() + 7_100_000 && until <= Date.now() + 7_200_000, paused.text);
    const listed = await dashboard.get("/api/queues");
    assert.deepEqual(listed.json, JSON.parse(await sandbox.ok(["queue", "list", "--json"])));
    assert.deepEqual(
      listed.json.map((queue: Json) => [queue.name, queue.paused, queue.paused_until]),
      [["reports", true, paused.json.paused_until]],
    );
    for (
      const [body, message] of [
        [{ for: "2h", until: "2099-01-01T00:00:00Z" }, /until or for, not both/],
        [{ until: "2001-01-01T00:00:00Z" }, /not in the future/],
        [{ for: 5 }, /Invalid for/],
        [{ forever: true }, /Unknown field "forever"/],
      ] as const
    ) {
      const refused = await dashboard.post("/api/queues/reports/pause", body);
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.json.error, message);
    }
    const badName = await dashboard.post("/api/queues/bad%20name/pause", {});
    assert.equal(badName.status, 400, badName.text);
    assert.deepEqual(
      (await dashboard.get("/api/queues")).json[0].paused_until,
      paused.json.paused_until,
    );
    const resumed = await dashboard.post("/api/queues/reports/resume", {});
    assert.deepEqual(resumed.json, { name: "reports", paused: false, paused_until: null });
    assert.equal((await dashboard.get("/api/queues")).json[0].paused, false);
    const noCsrf = await dashboard.post("/api/queues/reports/pause", {}, { csrf: null });
    assert.equal(noCsrf.status, 403, noCsrf.text);
    assert.equal((await dashboard.get("/api/queues")).json[0].paused, false);
  });
});

onEveryStore.test("dashboard API: POST /api/queues/NAME/rate and /group-concurrency set and remove limits as the CLI does; bad bodies change nothing", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const rate = await dashboard.post("/api/queues/api/rate", { rate: "10/1s" });
    assert.equal(rate.status, 200, rate.text);
    assert.deepEqual(rate.json, { name: "api", rate: "10/1s" });
    const group = await dashboard.post("/api/queues/api/group-concurrency", {
      group_concurrency: 2,
    });
    assert.deepEqual(group.json, { name: "api", group_concurrency: 2 });
    const listed = await dashboard.get("/api/queues");
    assert.deepEqual(listed.json, JSON.parse(await sandbox.ok(["queue", "list", "--json"])));
    assert.deepEqual(
      listed.json.map((queue: Json) => [queue.name, queue.rate, queue.group_concurrency]),
      [["api", "10/1s", 2]],
    );
    for (
      const [target, body, message] of [
        ["rate", { rate: "0/1s" }, /Invalid rate "0\/1s"/],
        ["rate", { rate: "abc" }, /Invalid rate "abc"/],
        ["rate", { rate: "10/0s" }, /period must be from 1ms/],
        ["rate", {}, /Missing field "rate"/],
        ["group-concurrency", { group_concurrency: 0 }, /Invalid group_concurrency 0/],
        ["group-concurrency", { group_concurrency: -1 }, /Invalid group_concurrency -1/],
        ["group-concurrency", { group_concurrency: "2" }, /Invalid group_concurrency "2"/],
        ["group-concurrency", { limit: 2 }, /Unknown field "limit"/],
      ] as const
    ) {
      const refused = await dashboard.post(`/api/queues/api/${target}`, body);
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.json.error, message);
    }
    const badName = await dashboard.post("/api/queues/bad%20name/rate", { rate: "1/1s" });
    assert.equal(badName.status, 400, badName.text);
    assert.deepEqual((await dashboard.get("/api/queues")).json, listed.json, "nothing changed");
    assert.deepEqual((await dashboard.post("/api/queues/api/rate", { rate: null })).json, {
      name: "api",
      rate: null,
    });
    await dashboard.post("/api/queues/api/group-concurrency", { group_concurrency: null });
    const [cleared] = (await dashboard.get("/api/queues")).json;
    assert.deepEqual([cleared.rate, cleared.group_concurrency], [null, null]);
    const noCsrf = await dashboard.post("/api/queues/api/rate", { rate: "1/1s" }, { csrf: null });
    assert.equal(noCsrf.status, 403, noCsrf.text);
  });
});

onEveryStore.test("dashboard API: POST /api/jobs enqueues; bad bodies get the CLI's message and change nothing", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const created = await dashboard.post("/api/jobs", {
      id: "api-1",
      command: "echo via the api",
      queue: "api",
      priority: 5,
      max_retries: 1,
      env: { GREETING: "hi" },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json.id, "api-1");
    assert.equal(created.json.state, "pending");
    assert.equal(created.json.existing, false);
    const info = await sandbox.info("api-1");
    assert.equal(info.command, "echo via the api");
    assert.equal(info.queue, "api");
    assert.equal(info.priority, 5);
    assert.equal(info.max_retries, 1);
    assert.deepEqual(info.env, { GREETING: "hi" });
    assert.equal(info.cwd, await Deno.realPath(sandbox.dir), "cwd: where the dashboard runs");

    const hooked = await dashboard.post("/api/jobs", {
      id: "api-hooked",
      command: "true",
      on_finish: "https://hooks.example.com/q",
      on_finish_when: ["dead"],
    });
    assert.equal(hooked.status, 201, hooked.text);
    assert.deepEqual([hooked.json.on_finish, hooked.json.on_finish_when, hooked.json.hook_for], [
      "https://hooks.example.com/q",
      ["dead"],
      null,
    ]);
    assert.deepEqual((await sandbox.info("api-hooked")).on_finish_when, ["dead"]);

    const generated = await dashboard.post("/api/jobs", { command: "echo generated" });
    assert.equal(generated.status, 201, generated.text);
    assert.match(generated.json.id, /^[0-9a-z]{16}$/);
    assert.equal((await sandbox.info(generated.json.id)).command, "echo generated");

    const unique = await dashboard.post("/api/jobs", { command: "echo once", unique_key: "k" });
    assert.equal(unique.status, 201, unique.text);
    const again = await dashboard.post("/api/jobs", { command: "echo twice", unique_key: "k" });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.existing, true);
    assert.equal(again.json.id, unique.json.id);

    const before = await snapshotDatabase(sandbox);
    const statusBefore = await sandbox.status();
    const bodies = [
      '{"command":"echo x","priority":"high"}',
      '{"queue":"q"}',
      '{"command":""}',
      '{"command":42}',
      '{"command":"echo x","delay":"soon"}',
      '{"command":"echo x","max_retries":5000}',
      '{"command":"echo x","id":"../etc"}',
      '{"command":"echo x","queue":"has space"}',
      '{"command":"echo x","run_at":"yesterday"}',
      '{"command":"echo x","colour":"red"}',
      '{"command":"echo x","env":{"A":1}}',
      '{"id":"orphan","command":"echo x","after":["no-such-parent"]}',
      '{"command":"echo x","id":"api-1"}',
    ];
    const statusOf: Record<number, number> = { 2: 400, 3: 404, 5: 409 };
    for (const body of bodies) {
      const answer = await dashboard.post("/api/jobs", body);
      const cli = await sandbox.run(["enqueue", body]);
      assert.notEqual(cli.code, 0, `the CLI accepted ${body}`);
      assert.equal(
        answer.status,
        statusOf[cli.code],
        `${body}: HTTP ${answer.status} ${answer.text}, CLI exit ${cli.code}`,
      );
      assert.equal(answer.json.error, cliError(cli), `the message for ${body}`);
    }
    for (const body of ["{oops", "", "42", "null", '"text"', "[]"]) {
      const answer = await dashboard.post("/api/jobs", body);
      assert.equal(
        answer.status,
        400,
        `${JSON.stringify(body)}: ${answer.status} ${answer.text}`,
      );
      assert.equal(typeof answer.json.error, "string");
    }
    const huge = await dashboard.post("/api/jobs", { command: "x".repeat(2 << 20) });
    assert.equal(huge.status, 413, `a 2 MiB body: ${huge.status}`);
    assert.match(huge.json.error, /too large/);
    assert.deepEqual(await sandbox.status(), statusBefore);
    assert.equal(await snapshotDatabase(sandbox), before, "a refused POST changed the database");
  });
});

onEveryStore.test("dashboard API: cancel a pending job; dlq retry by ids and all moves dead jobs to pending", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["d-1", "d-2", "d-3"]);
  await enqueue(sandbox, ["--id", "c-1", "--", "echo cancel me"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    const canceled = await dashboard.post("/api/jobs/c-1/cancel", {});
    assert.equal(canceled.status, 200, canceled.text);
    assert.deepEqual(canceled.json, { canceled: ["c-1"], stopping: [] });
    assert.equal((await sandbox.info("c-1")).state, "canceled");
    const twice = await dashboard.post("/api/jobs/c-1/cancel", {});
    assert.ok(twice.status === 200 || twice.status === 409, twice.text);
    if (twice.status === 200) assert.deepEqual(twice.json.canceled, []);
    assert.equal((await sandbox.info("c-1")).state, "canceled");

    const one = await dashboard.post("/api/dlq/retry", { ids: ["d-1"] });
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, { retried: ["d-1"] });
    const d1 = await sandbox.info("d-1");
    assert.equal(d1.state, "pending");
    assert.equal(d1.attempts, 0);
    assert.equal((await sandbox.info("d-2")).state, "dead");
    const notDead = await dashboard.post("/api/dlq/retry", { ids: ["d-1"] });
    assert.equal(notDead.status, 200, notDead.text);
    assert.deepEqual(notDead.json.retried, []);

    for (const body of [{ ids: "d-2" }, { ids: [1] }, { ids: ["../x"] }, {}, { all: "yes" }]) {
      const bad = await dashboard.post("/api/dlq/retry", body);
      assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    }
    assert.equal((await sandbox.info("d-2")).state, "dead");

    const all = await dashboard.post("/api/dlq/retry", { all: true });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(sorted(all.json.retried), ["d-2", "d-3"]);
    for (const id of ["d-2", "d-3"]) assert.equal((await sandbox.info(id)).state, "pending");
    const status = await sandbox.status();
    assert.equal(status.jobs.dead, 0);
    assert.equal(status.jobs.pending, 3);
    assert.equal(status.jobs.canceled, 1);
    const dlq = await dashboard.get("/api/jobs?state=dead");
    assert.equal(dlq.json.total, 0);
  });
});

onEveryStore.test("dashboard API: POST /api/workers/ID/stop makes a running worker start process exit 0", async () => {
  await using sandbox = await makeSandbox();
  const worker = await startWorker(sandbox, ["--count", "2"]);
  const { workers } = await sandbox.status();
  const mine = workers.find((w) => w.pid === worker.handle.pid);
  assert.ok(mine, `status --json lists no worker of pid ${worker.handle.pid}`);
  const workerId = String(mine.id);
  await withDashboard(sandbox, [], async (dashboard) => {
    const listed = await dashboard.get("/api/workers");
    assert.equal(listed.status, 200);
    const entry = listed.json.find((w: Json) => w.id === workerId);
    assert.ok(entry, `GET /api/workers: ${listed.text}`);
    assert.equal(entry.alive, true);
    assert.equal(entry.concurrency, 2);
    assert.equal(entry.pid, worker.handle.pid);

    const badMode = await dashboard.post(`/api/workers/${workerId}/stop`, { mode: "later" });
    assert.equal(badMode.status, 400, badMode.text);
    const unknown = await dashboard.post("/api/workers/no-such-worker/stop", {});
    assert.equal(unknown.status, 404, unknown.text);

    const stop = await dashboard.post(`/api/workers/${workerId}/stop`, { mode: "drain" });
    assert.equal(stop.status, 200, stop.text);
    assert.deepEqual(stop.json, { stopping: [workerId] });
    const code = await waitFor("the worker to exit", async () => {
      const exited = await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 0))]);
      return typeof exited === "number" ? { code: exited } : undefined;
    }, 30_000);
    assert.equal(code.code, 0, `the worker exited ${code.code}:\n${worker.log()}`);
    const after = await dashboard.get("/api/overview");
    assert.ok(
      after.json.workers.every((w: Json) => w.id !== workerId || w.alive === false),
      after.text,
    );
  });
});

onEveryStore.test("dashboard API: POST /api/workers/start needs --allow-worker-control; with it, its workers run jobs", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const refused = await dashboard.post("/api/workers/start", { count: 1 });
    assert.equal(refused.status, 403, refused.text);
    assert.match(refused.json.error, /--allow-worker-control/);
    assert.deepEqual((await sandbox.status()).workers, []);
  });
  await withDashboard(sandbox, ["--allow-worker-control"], async (dashboard) => {
    const session = await dashboard.get("/api/session");
    assert.equal(session.json.worker_control, true);
    for (const count of [0, 65, "2", 1.5]) {
      const bad = await dashboard.post("/api/workers/start", { count });
      assert.equal(bad.status, 400, `count ${JSON.stringify(count)}: ${bad.text}`);
    }
    assert.deepEqual((await sandbox.status()).workers, []);

    const started = await dashboard.post("/api/workers/start", { count: 2 });
    assert.equal(started.status, 201, started.text);
    const workerId = String(started.json.worker_id);
    const { workers } = await sandbox.status();
    const registered = workers.find((worker) => worker.id === workerId);
    assert.ok(registered, `status --json: ${JSON.stringify(workers)}`);
    assert.equal(registered.pid, dashboard.process.pid, "the workers run in the dashboard");
    assert.equal(registered.concurrency, 2);

    const id = await enqueue(sandbox, ["--", "echo run by the dashboard workers"]);
    const job = await waitForState(sandbox, id, "completed");
    const [run] = job.runs as Json[];
    assert.equal(run.worker_id, workerId, "run by the workers the API started");
    assert.equal(run.stdout, "run by the dashboard workers\n");
    const metrics = parseMetrics((await dashboard.get("/metrics")).text);
    assert.equal(metricValue(metrics, "queuectl_workers_alive"), 1);
  });
});

onEveryStore.test("dashboard API: GET /api/jobs/ID/output returns a running job's output before it ends", async () => {
  await using sandbox = await makeSandbox();
  const go = join(sandbox.dir, "go");
  const command = `echo first-line; echo err-line >&2; while [ ! -e ${
    q(go)
  } ]; do sleep 0.05; done; echo last-line`;
  const id = await enqueue(sandbox, ["--id", "live-1", "--", command]);
  const worker = await startWorker(sandbox);
  await withDashboard(sandbox, [], async (dashboard) => {
    const idle = await dashboard.get(`/api/jobs/${id}/output`);
    assert.equal(idle.status, 200, idle.text);
    await waitForState(sandbox, id, "processing");
    const live = await waitFor("the live output", async () => {
      const answer = await dashboard.get(`/api/jobs/${id}/output`);
      assert.equal(answer.status, 200, answer.text);
      return answer.json.stdout.text.includes("first-line") &&
          answer.json.stderr.text.includes("err-line")
        ? answer.json
        : undefined;
    });
    // The job cannot have ended: it waits for the file that is only made below.
    assert.equal(live.state, "processing");
    assert.equal(live.run, 1);
    assert.equal(live.stdout.text, "first-line\n");
    assert.equal(live.stdout.offset, 0);
    assert.equal(live.stdout.next, "first-line\n".length);
    assert.equal(live.stderr.text, "err-line\n");
    assert.equal((await sandbox.info(id)).state, "processing");

    const rest = await dashboard.get(
      `/api/jobs/${id}/output?stdout=${live.stdout.next}&stderr=${live.stderr.next}`,
    );
    assert.equal(rest.json.stdout.text, "");
    assert.equal(rest.json.stdout.offset, live.stdout.next);
    assert.equal(rest.json.stdout.next, live.stdout.next);
    const part = await dashboard.get(`/api/jobs/${id}/output?stdout=5`);
    assert.equal(part.json.stdout.text, "-line\n");
    const bad = await dashboard.get(`/api/jobs/${id}/output?stdout=-1`);
    assert.equal(bad.status, 400);

    await Deno.writeTextFile(go, "");
    const done = await waitForState(sandbox, id, "completed");
    assert.equal((done.runs as Json[])[0].stdout, "first-line\nlast-line\n");
    const ended = await dashboard.get(`/api/jobs/${id}/output`);
    assert.equal(ended.json.state, "completed");
    assert.equal(ended.json.run, null);
  });
  worker.handle.kill("SIGTERM");
  assert.equal(await worker.exited, 0, worker.log());
});

onEveryStore.test("dashboard API: a malformed body on any POST is 400 with a JSON error and changes nothing", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["d-1"]);
  await enqueue(sandbox, ["--id", "p-1", "--", "echo p"]);
  await withDashboard(sandbox, ["--allow-worker-control"], async (dashboard) => {
    const port = dashboard.port;
    const headers = postHeaders(`127.0.0.1:${port}`, await dashboard.csrf());
    const before = await snapshotDatabase(sandbox);
    const common = [
      "null",
      "42",
      '"text"',
      "[]",
      "[{}]",
      "true",
      "{oops",
      '{"a":1}}',
      '{"__proto__":{"polluted":true}}',
      '{"nested":{"__proto__":{}}}',
    ];
    const bad: Record<string, string[]> = {
      "/api/jobs": [...common, '{"command":"echo \u0000"}'],
      "/api/jobs/p-1/cancel": [...common, '{"force":true}'],
      "/api/dlq/retry": [...common, '{"ids":"d-1"}', '{"all":1}', '{"ids":[null]}'],
      "/api/workers/no-such-worker/stop": [...common, '{"mode":5}', '{"mode":"now","x":1}'],
      "/api/workers/start": [...common, '{"count":"2"}', '{"count":null}', '{"count":1e400}'],
      "/api/queues/q/rate": [...common, "{}", '{"rate":"0/1s"}', '{"rate":10}'],
      "/api/queues/q/group-concurrency": [...common, "{}", '{"group_concurrency":"2"}'],
    };
    // Bytes that are not UTF-8, inside a JSON string.
    const invalidUtf8 = (json: string) => {
      const [head, tail] = json.split("@");
      const encoder = new TextEncoder();
      return new Uint8Array([...encoder.encode(head), 0xff, 0xc3, 0x28, ...encoder.encode(tail)]);
    };
    const notUtf8: Record<string, string> = {
      "/api/jobs": '{"command":"echo @"}',
      "/api/jobs/p-1/cancel": '{"x@":1}',
      "/api/dlq/retry": '{"ids":["@"]}',
      "/api/workers/no-such-worker/stop": '{"mode":"@"}',
      "/api/workers/start": '{"count":1,"@":2}',
      "/api/queues/q/rate": '{"rate":"@"}',
      "/api/queues/q/group-concurrency": '{"@":1}',
    };
    for (const [target, bodies] of Object.entries(bad)) {
      for (const body of [...bodies, invalidUtf8(notUtf8[target])]) {
        const answer = await rawHttp(port, { method: "POST", target, headers, body });
        const what = `POST ${target} ${typeof body === "string" ? body : "(not UTF-8)"}`;
        assert.equal(answer.status, 400, `${what}: ${answer.status} ${answer.text}`);
        assert.match(answer.headers.get("content-type") ?? "", /json/, what);
        assert.equal(typeof answer.json.error, "string", what);
      }
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a malformed body changed something");
    assert.deepEqual((await sandbox.status()).workers, [], "no worker started");
    // An empty body is fine where there is nothing to say.
    const cancel = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs/p-1/cancel",
      headers: [...headers, ["content-length", "0"]],
    });
    assert.equal(cancel.status, 200, cancel.text);
  });
});

onEveryStore.test("dashboard API: --allow-worker-control caps the slots (64) and worker processes (4) the dashboard runs in total", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, ["--allow-worker-control"], async (dashboard) => {
    const start = (count: number) => dashboard.post("/api/workers/start", { count });
    const first = await start(60);
    assert.equal(first.status, 201, first.text);
    const over = await start(5);
    assert.equal(over.status, 409, over.text);
    assert.match(over.json.error, /60 worker slots.*64/);
    for (let i = 0; i < 3; i++) {
      const one = await start(1);
      assert.equal(one.status, 201, one.text);
    }
    const fifth = await start(1);
    assert.equal(fifth.status, 409, fifth.text);
    assert.match(fifth.json.error, /4 worker processes/);
    const status = await sandbox.status();
    assert.equal(status.workers.length, 4);
    assert.equal(
      status.workers.reduce((sum, worker) => sum + Number(worker.concurrency), 0),
      63,
    );
    // Stopping one gives its room back.
    const stop = await dashboard.post(`/api/workers/${first.json.worker_id}/stop`, {});
    assert.equal(stop.status, 200, stop.text);
    const again = await waitFor(
      "room for more workers",
      async () => {
        const answer = await start(5);
        assert.ok(answer.status === 201 || answer.status === 409, answer.text);
        return answer.status === 201 ? answer : undefined;
      },
      30_000,
      250,
    );
    assert.equal(again.status, 201);
  });
});

Deno.test({
  name:
    "dashboard: SIGTERM while a worker process it starts is still registering stops that one too, and the dashboard exits 0",
  // PostgreSQL's LOCK TABLE holds the registration for as long as the test likes; a SQLite
  // store would give up on its busy lock instead.
  ignore: TEST_STORE !== "postgres",
  async fn() {
    await using sandbox = await makeSandbox();
    const dashboard = await startDashboard(sandbox, ["--allow-worker-control"]);
    const sql = postgres(TEST_POSTGRES_URL, { max: 2, onnotice: () => {} });
    let lock: HeldLock | undefined;
    let exited: { code: number } | undefined;
    try {
      await dashboard.csrf();
      lock = await holdTableLock(sql, sandbox.schema!, "workers");
      const started = dashboard.post("/api/workers/start", { count: 2 });
      started.catch(() => {}); // Awaited below; a failure before then must not go unhandled.
      await waitFor(
        "the worker process to wait on the locked table",
        async () => await lockWaits(sql, sandbox.schema!) > 0,
      );
      // The signal comes before the worker process listens for signals (it does once registered).
      dashboard.process.kill("SIGTERM");
      await waitFor(
        "the dashboard to stop taking connections",
        () => dashboard.fetch("/api/session").then(() => false, () => true),
      );
      await lock.release();
      dashboard.process.status.then((status) => exited = { code: status.code });
      const { code } = await waitFor(
        "the dashboard to exit after its worker registered",
        () => exited,
      );
      assert.equal(code, 0, dashboard.log());
      assert.equal((await started).status, 201, "the start in progress was answered");
      assert.deepEqual((await sandbox.status()).workers, [], "its worker process deregistered");
    } finally {
      await lock?.release();
      if (exited === undefined) {
        try {
          dashboard.process.kill("SIGKILL");
        } catch {
          // Gone already.
        }
      }
      await dashboard.stop();
      await sql.end();
    }
  },
});

onEveryStore.test("dashboard API: a NUL or control character in q or a worker id is 400, not a store error", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    // PostgreSQL refuses NUL in text outright: before the check it was a 500.
    for (const q of ["%00", "a%00b", "%01", "%7F"]) {
      const answer = await dashboard.get(`/api/jobs?q=${q}`);
      assert.equal(answer.status, 400, `q=${q}: ${answer.status} ${answer.text}`);
      assert.match(answer.json.error, /control character/);
    }
    for (const id of ["%00", "w%00x", "w%0Ax", "w".repeat(300)]) {
      const answer = await dashboard.post(`/api/workers/${id}/stop`, {});
      assert.equal(answer.status, 400, `worker ${id}: ${answer.status} ${answer.text}`);
      assert.match(answer.json.error, /Invalid worker id/);
    }
    assert.equal((await dashboard.get("/api/jobs?q=%FF")).status, 200, "odd but not control");
  });
});

onEveryStore.test("dashboard API: retry finished jobs by ids, all or none; edit a waiting job, refusing a finished one", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["d-1"]);
  await enqueue(sandbox, ["--id", "w-1", "--run-at", "2099-01-01T00:00:00Z", "--", "echo old"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    const refused = await dashboard.post("/api/jobs/retry", { ids: ["d-1", "w-1"] });
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.json.error, /"w-1"/);
    assert.equal((await sandbox.info("d-1")).state, "dead", "all or none");
    const unknown = await dashboard.post("/api/jobs/retry", { ids: ["d-1", "ghost"] });
    assert.equal(unknown.status, 404, unknown.text);
    for (const body of [{}, { ids: [] }, { ids: "d-1" }, { ids: [1] }, { ids: ["d-1"], x: 1 }]) {
      const bad = await dashboard.post("/api/jobs/retry", body);
      assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    }
    const retried = await dashboard.post("/api/jobs/retry", { ids: ["d-1"] });
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.json.dry_run, false);
    assert.deepEqual(retried.json.jobs.map((job: { id: string }) => job.id), ["d-1"]);
    assert.equal(retried.json.jobs[0].state, "dead", "jobs: as they were");
    assert.deepEqual([retried.json.retried, retried.json.kept], [["d-1"], []]);
    assert.equal((await sandbox.info("d-1")).state, "pending");

    const edited = await dashboard.post("/api/jobs/w-1/edit", {
      command: "echo new",
      env: { A: "1" },
      priority: 4,
      run_at: "2098-01-01T00:00:00Z",
    });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.json.command, "echo new");
    assert.deepEqual(edited.json.env, { A: "1" });
    assert.equal(edited.json.priority, 4);
    assert.equal(edited.json.run_at, "2098-01-01T00:00:00.000Z");
    const before = await snapshotDatabase(sandbox);
    for (
      const body of [{}, { priority: "high" }, { command: "" }, { env: { QUEUECTL_X: "1" } }, {
        run_at: "soon",
      }, { queue: "other" }]
    ) {
      const bad = await dashboard.post("/api/jobs/w-1/edit", body);
      assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    }
    const missing = await dashboard.post("/api/jobs/ghost/edit", { priority: 1 });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(await snapshotDatabase(sandbox), before, "a refused edit changes nothing");
    await sandbox.ok(["cancel", "d-1"]);
    const finished = await dashboard.post("/api/jobs/d-1/edit", { priority: 1 });
    assert.equal(finished.status, 409, finished.text);
    assert.equal((await sandbox.info("d-1")).priority, 0);
  });
});
