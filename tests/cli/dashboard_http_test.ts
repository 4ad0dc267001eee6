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
import { makeSandbox, onEveryStore, snapshotDatabase, waitFor } from "../helpers/cli.ts";
import {
  cliError,
  makeDead,
  metricValue,
  parseMetrics,
  rawHttp,
  runToExit,
  seedStates,
  STATES,
  withDashboard,
} from "../helpers/dashboard.ts";
import { enqueue, type Json, q, startWorker, waitForState } from "../helpers/jobs.ts";

const TOKEN = "s3cret-dashboard-token";

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
    assert.match(page.text, /<script src="\/assets\/app\.js" defer><\/script>/);
    assert.ok(!/<script>/.test(page.text), "the page must have no inline script");

    const script = await dashboard.get("/assets/app.js");
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type")!, /^text\/javascript/);
    assert.ok(script.text.includes('"use strict"'));
    assert.ok(script.text.includes("/api/overview"));
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
        assert.deepEqual(
          overview.json.queues,
          queues.map((queue: Json) => ({
            name: queue.name,
            concurrency: queue.concurrency,
            jobs: queue.jobs,
          })),
        );
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

onEveryStore.test("dashboard security: a POST without the right X-CSRF-Token is 403 and changes nothing", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["dead-1"]);
  await enqueue(sandbox, ["--id", "p-1", "--queue", "elsewhere", "--", "echo p"]);
  // A live worker (for the stop endpoint) that serves a queue with no jobs, so nothing runs.
  const worker = await startWorker(sandbox, ["--queue", "idle"]);
  const workerId = String(
    (await sandbox.status()).workers.find((w) => w.pid === worker.handle.pid)!.id,
  );
  await withDashboard(sandbox, ["--allow-worker-control"], async (dashboard) => {
    const good = await dashboard.csrf();
    const before = await snapshotDatabase(sandbox);
    const posts: [string, unknown][] = [
      ["/api/jobs", { command: "echo forged" }],
      ["/api/jobs/p-1/cancel", {}],
      ["/api/dlq/retry", { all: true }],
      ["/api/dlq/retry", { ids: ["dead-1"] }],
      [`/api/workers/${workerId}/stop`, { mode: "now" }],
      ["/api/workers/start", { count: 1 }],
    ];
    const wrongs: (string | null)[] = [
      null,
      "",
      "0".repeat(32),
      good.slice(0, -1),
      good + "0",
      good.toUpperCase() === good ? good.toLowerCase() : good.toUpperCase(),
    ];
    for (const [path, body] of posts) {
      for (const csrf of wrongs) {
        const answer = await dashboard.post(path, body, { csrf });
        assert.equal(answer.status, 403, `${path} with csrf ${csrf}: ${answer.text}`);
        assert.match(answer.json.error, /CSRF/);
      }
      // A form post from another site cannot set the header either.
      const form = await dashboard.request("POST", path, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "command=echo+forged",
      });
      assert.equal(form.status, 403, `${path} as a form: ${form.text}`);
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a refused POST changed the database");
    const status = await sandbox.status();
    assert.deepEqual(status.workers.map((w) => w.id), [workerId], "no worker started or gone");
    assert.equal(status.workers[0].stop_requested, null);

    // The same request with the page's token works.
    const cancel = await dashboard.post("/api/jobs/p-1/cancel", {}, { csrf: good });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal((await sandbox.info("p-1")).state, "canceled");
  });
  worker.handle.kill("SIGTERM");
  assert.equal(await worker.exited, 0, worker.log());
});

onEveryStore.test("dashboard security: off loopback without a token it exits 2 with one line on stderr", async () => {
  await using sandbox = await makeSandbox();
  const refused = await runToExit(sandbox, ["dashboard", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(refused.code, 2, `exit ${refused.code}\n${refused.stderr}`);
  assert.equal(refused.stdout, "");
  assert.match(cliError(refused), /token/i);

  const short = await runToExit(sandbox, [
    "dashboard",
    "--host",
    "0.0.0.0",
    "--port",
    "0",
    "--token",
    "1234567",
  ]);
  assert.equal(short.code, 2, `exit ${short.code}\n${short.stderr}`);
  assert.match(cliError(short), /at least 8 characters/);

  const badPort = await runToExit(sandbox, ["dashboard", "--port", "65536"]);
  assert.equal(badPort.code, 2, badPort.stderr);
  assert.match(cliError(badPort), /--port/);

  // QUEUECTL_DASHBOARD_TOKEN is a token too.
  await withDashboard(
    sandbox,
    ["--host", "0.0.0.0"],
    async (dashboard) => {
      assert.match(dashboard.printed, /^http:\/\/0\.0\.0\.0:\d+\/$/);
      assert.equal((await dashboard.get("/api/overview")).status, 401);
      const withToken = await dashboard.get("/api/overview", {
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(withToken.status, 200);
    },
    { env: { QUEUECTL_DASHBOARD_TOKEN: TOKEN } },
  );
});

onEveryStore.test("dashboard security: with --token every request needs it (Bearer or the login cookie) except /healthz", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "t-1", "--", "echo t"]);
  await withDashboard(sandbox, ["--host", "0.0.0.0", "--token", TOKEN], async (dashboard) => {
    assert.match(dashboard.printed, /^http:\/\/0\.0\.0\.0:\d+\/$/);
    const gets = [
      "/api/overview",
      "/api/jobs",
      "/api/jobs/t-1",
      "/api/jobs/t-1/output",
      "/api/schedules",
      "/api/workers",
      "/api/session",
      "/api/nope",
      "/metrics",
    ];
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    // Wrong Bearer tokens are guesses, throttled after ten (see the throttle test): three
    // kinds on two paths here; what is no guess at all on every path.
    const guesses = [bearer("wrong-token-123"), bearer(TOKEN + "x"), bearer(TOKEN.slice(0, -1))];
    for (const [index, path] of gets.entries()) {
      const none = await dashboard.get(path);
      assert.equal(none.status, 401, `${path} without a token: ${none.text}`);
      assert.match(none.json.error, /token/);
      for (
        const headers of [
          ...index < 2 ? guesses : [],
          { authorization: TOKEN },
          { authorization: `Basic ${btoa(`user:${TOKEN}`)}` },
          { cookie: "queuectl_session=wrong-session-123" },
          { cookie: `queuectl_token=${TOKEN}` },
        ]
      ) {
        const wrong = await dashboard.get(path, headers);
        assert.equal(wrong.status, 401, `${path} with ${JSON.stringify(headers)}`);
      }
      const right = await dashboard.get(path, bearer(TOKEN));
      assert.equal(right.status, path === "/api/nope" ? 404 : 200, `${path}: ${right.text}`);
    }
    // POSTs are refused before the CSRF check: even a right CSRF token does not help.
    const csrf = (await dashboard.get("/api/session", bearer(TOKEN))).json.csrf_token;
    const before = await snapshotDatabase(sandbox);
    for (const path of ["/api/jobs", "/api/jobs/t-1/cancel", "/api/dlq/retry"]) {
      const answer = await dashboard.post(path, { command: "echo x", all: true }, { csrf });
      assert.equal(answer.status, 401, `${path}: ${answer.text}`);
    }
    assert.equal(await snapshotDatabase(sandbox), before);

    const health = await dashboard.get("/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });

    const login = await dashboard.get("/");
    assert.equal(login.status, 401);
    assert.match(login.text, /<form method="post" action="\/login" id="login-form">/);
    assert.match(login.text, /name="token"/);
    assert.ok(!login.text.includes("csrf-token"), "the login page must not hold the CSRF token");
    assert.ok(!login.text.includes(TOKEN));
    assert.ok(login.headers.get("content-security-policy")?.includes("default-src 'none'"));

    const form = (token: string) =>
      dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const wrongLogin = await form("wrong-token-123");
    assert.equal(wrongLogin.status, 401);
    assert.equal(wrongLogin.headers.get("set-cookie"), null);
    assert.match(wrongLogin.text, /id="login-error"/);

    const rightLogin = await form(TOKEN);
    assert.equal(rightLogin.status, 303);
    assert.equal(rightLogin.headers.get("location"), "/");
    const setCookie = rightLogin.headers.get("set-cookie") ?? "";
    const attributes = setCookie.split(";").map((part) => part.trim());
    assert.ok(attributes.includes("HttpOnly"), setCookie);
    assert.ok(attributes.includes("SameSite=Strict"), setCookie);
    assert.ok(attributes.includes("Path=/"), setCookie);
    const cookie = attributes[0];
    assert.match(cookie, /^queuectl_session=/);

    const withCookie = await dashboard.get("/api/overview", { cookie });
    assert.equal(withCookie.status, 200, withCookie.text);
    assert.equal(withCookie.json.counts.pending, 1);
    const page = await dashboard.get("/", { cookie });
    assert.equal(page.status, 200);
    assert.match(page.text, /<meta name="csrf-token" content="[0-9a-f]{32}">/);
    const wrongCookie = await dashboard.get("/api/overview", {
      cookie: setCookie.replace(/^queuectl_session=[^;]*/, "queuectl_session=x"),
    });
    assert.equal(wrongCookie.status, 401);

    // With the cookie and the page's CSRF token, actions work.
    const canceled = await dashboard.post("/api/jobs/t-1/cancel", {}, {
      csrf,
      headers: { cookie },
    });
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal((await sandbox.info("t-1")).state, "canceled");
  });
});

// ------------------------------------------------------------------ hardening (the security issue)

/** A port that is not the dashboard's. */
function otherPort(port: number): number {
  return port === 65535 ? port - 1 : port + 1;
}

/** Headers of a JSON POST to the dashboard at `host` with `csrf`, then `extra`. */
function postHeaders(host: string, csrf: string, extra: [string, string][] = []) {
  return [
    ["host", host],
    ["content-type", "application/json"],
    ["x-csrf-token", csrf],
    ...extra,
  ] as [string, string][];
}

onEveryStore.test("dashboard security: without a token only loopback Hosts at its port are served, else 421 (DNS rebinding), on every route but /healthz", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const csrf = await dashboard.csrf();
    const get = (target: string, host: string | null, version?: string) =>
      rawHttp(port, { target, version, headers: host === null ? [] : [["host", host]] });
    for (
      const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `LocalHost:${port}`,
        `localhost.:${port}`,
        `127.0.0.2:${port}`,
        `127.255.255.254:${port}`,
        `[::1]:${port}`,
      ]
    ) {
      const session = await get("/api/session", host);
      assert.equal(session.status, 200, `Host ${host}: ${session.status} ${session.text}`);
      assert.equal(session.json.csrf_token, csrf);
    }
    // No browser leaves Host out, so a request without one cannot be a rebinding page's.
    const old = await get("/api/session", null, "HTTP/1.0");
    assert.equal(old.status, 200, `HTTP/1.0 without Host: ${old.status} ${old.text}`);

    const before = await snapshotDatabase(sandbox);
    const foreign = [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1:${otherPort(port)}`,
      "127.0.0.1",
      "localhost",
      `localhost.evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      `evil-localhost:${port}`,
      `0.0.0.0:${port}`,
      `[::ffff:127.0.0.1]:${port}`,
      `[::2]:${port}`,
      `256.0.0.1:${port}`,
      `127.0.0.1:${port}@evil.example`,
      `127.0.0.1:${port}/x`,
      "",
    ];
    const routes: [string, string][] = [
      ["GET", "/"],
      ["GET", "/api/session"],
      ["GET", "/api/overview"],
      ["GET", "/api/jobs"],
      ["GET", "/metrics"],
      ["GET", "/assets/app.js"],
      ["GET", "/nope"],
      ["POST", "/api/jobs"],
      ["POST", "/login"],
    ];
    for (const host of foreign) {
      for (const [method, target] of routes) {
        const answer = await rawHttp(port, {
          method,
          target,
          headers: postHeaders(host, csrf, [["origin", `http://${host}`]]),
          body: method === "POST" ? '{"command":"echo rebound"}' : undefined,
        });
        const what = `${method} ${target} with Host ${JSON.stringify(host)}`;
        assert.equal(answer.status, 421, `${what}: ${answer.status} ${answer.text}`);
        assert.equal(typeof answer.json.error, "string", what);
        assert.match(answer.json.error, /Host/, what);
        assert.ok(!answer.text.includes(csrf), `${what} leaked the CSRF token`);
      }
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a rebound POST changed the database");

    // /healthz stays open for probes: it says "ok" and nothing else.
    const health = await get("/healthz", `evil.example:${port}`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: "ok" });
  });
});

onEveryStore.test("dashboard security: a POST from another origin or site is 403, with or without a token", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "p-1", "--", "echo p"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const csrf = await dashboard.csrf();
    const host = `127.0.0.1:${port}`;
    const before = await snapshotDatabase(sandbox);
    const crossSite: [string, string][][] = [
      [["origin", "http://evil.example"]],
      [["origin", `http://evil.example:${port}`]],
      [["origin", "null"]],
      [["origin", "junk"]],
      [["origin", `http://localhost:${port}`]],
      [["origin", `http://127.0.0.1:${otherPort(port)}`]],
      [["origin", `http://127.0.0.2:${port}`]],
      [["sec-fetch-site", "cross-site"]],
      // Ports do not separate sites: another local web app is "same-site".
      [["sec-fetch-site", "same-site"]],
      [["origin", `http://${host}`], ["sec-fetch-site", "cross-site"]],
    ];
    const posts: [string, unknown][] = [
      ["/api/jobs", { command: "echo forged" }],
      ["/api/jobs/p-1/cancel", {}],
      ["/api/dlq/retry", { all: true }],
      ["/api/workers/start", { count: 1 }],
      ["/logout", {}],
      ["/login", {}],
    ];
    for (const extra of crossSite) {
      for (const [target, body] of posts) {
        const answer = await rawHttp(port, {
          method: "POST",
          target,
          headers: postHeaders(host, csrf, extra),
          body: JSON.stringify(body),
        });
        const what = `POST ${target} with ${JSON.stringify(extra)}`;
        assert.equal(answer.status, 403, `${what}: ${answer.status} ${answer.text}`);
        assert.equal(typeof answer.json.error, "string", what);
      }
    }
    assert.equal(await snapshotDatabase(sandbox), before, "a cross-site POST changed something");

    // The page's own requests, and scripts (which send no Origin), still work.
    const accepted: [string, [string, string][]][] = [
      [host, [["origin", `http://${host}`], ["sec-fetch-site", "same-origin"]]],
      [host, []],
      [host, [["sec-fetch-site", "none"]]],
      [`localhost:${port}`, [["origin", `http://localhost:${port}`]]],
      [`[::1]:${port}`, [["origin", `http://[::1]:${port}`]]],
    ];
    for (const [asHost, extra] of accepted) {
      const answer = await rawHttp(port, {
        method: "POST",
        target: "/api/jobs",
        headers: postHeaders(asHost, csrf, extra),
        body: '{"command":"echo same origin"}',
      });
      assert.equal(answer.status, 201, `${asHost} ${JSON.stringify(extra)}: ${answer.text}`);
    }
  });

  // With a token off loopback, Host is free (a proxy's name), but Origin on POST is not.
  await withDashboard(sandbox, ["--host", "0.0.0.0", "--token", TOKEN], async (dashboard) => {
    const port = dashboard.port;
    const host = `dash.example:${port}`;
    const bearer: [string, string] = ["authorization", `Bearer ${TOKEN}`];
    const session = await rawHttp(port, {
      target: "/api/session",
      headers: [["host", host], bearer],
    });
    assert.equal(session.status, 200, session.text);
    const csrf = String(session.json.csrf_token);
    const before = await snapshotDatabase(sandbox);
    for (
      const extra of [
        [["origin", "http://evil.example"]],
        [["origin", `http://127.0.0.1:${port}`]],
        [["sec-fetch-site", "cross-site"]],
      ] as [string, string][][]
    ) {
      const answer = await rawHttp(port, {
        method: "POST",
        target: "/api/jobs",
        headers: postHeaders(host, csrf, [bearer, ...extra]),
        body: '{"command":"echo forged"}',
      });
      assert.equal(answer.status, 403, `${JSON.stringify(extra)}: ${answer.text}`);
      // Even the right token does not log a browser in from another site (login CSRF).
      const login = await rawHttp(port, {
        method: "POST",
        target: "/login",
        headers: [
          ["host", host],
          ["content-type", "application/x-www-form-urlencoded"],
          ...extra,
        ],
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      assert.equal(login.status, 403, `login with ${JSON.stringify(extra)}: ${login.text}`);
      assert.equal(login.headers.get("set-cookie"), null);
    }
    assert.equal(await snapshotDatabase(sandbox), before);
    const same = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers: postHeaders(host, csrf, [bearer, ["origin", `http://${host}`]]),
      body: '{"command":"echo from the proxy name"}',
    });
    assert.equal(same.status, 201, same.text);
    // Behind a TLS proxy the page's origin is https with the same host.
    const tls = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers: postHeaders("dash.example", csrf, [bearer, ["origin", "https://dash.example"]]),
      body: '{"command":"echo through tls"}',
    });
    assert.equal(tls.status, 201, tls.text);
  });
});

onEveryStore.test("dashboard security: request bodies stop at a byte cap (413), declared or streamed", async () => {
  await using sandbox = await makeSandbox();
  const kib = (n: number, byte = 0x61) => new Uint8Array(n * 1024).fill(byte);
  await withDashboard(sandbox, [], async (dashboard) => {
    const port = dashboard.port;
    const headers = postHeaders(`127.0.0.1:${port}`, await dashboard.csrf());
    const before = await snapshotDatabase(sandbox);
    const tooLarge = async (what: string, request: Parameters<typeof rawHttp>[1]) => {
      const answer = await rawHttp(
        port,
        { method: "POST", target: "/api/jobs", ...request },
        8000,
      );
      assert.equal(answer.status, 413, `${what}: ${answer.status} ${answer.text}`);
      assert.match(answer.json.error, /too large/i, what);
    };
    // Refused from the header alone: the body is never sent.
    await tooLarge("Content-Length: 2 MiB", {
      headers: [...headers, ["content-length", String(2 << 20)]],
      endless: true,
    });
    // No Content-Length: the reading stops at the cap instead of waiting for the end.
    await tooLarge("an endless chunked body", {
      headers,
      chunks: Array.from({ length: 24 }, () => kib(64)),
      endless: true,
    });
    // The cap counts bytes: 600 Ki "é" are 1.2 MB of UTF-8 but 600 Ki UTF-16 units.
    const wide = new TextEncoder().encode(`{"command":"echo ${"é".repeat(600 * 1024)}"}`);
    await tooLarge("1.2 MB of two-byte characters, chunked", {
      headers,
      chunks: [wide.subarray(0, 1 << 19), wide.subarray(1 << 19)],
    });
    assert.equal(await snapshotDatabase(sandbox), before, "a refused body changed the database");
    // A chunked body under the cap is read as a whole.
    const small = new TextEncoder().encode('{"command":"echo chunked"}');
    const ok = await rawHttp(port, {
      method: "POST",
      target: "/api/jobs",
      headers,
      chunks: [small.subarray(0, 5), small.subarray(5)],
    });
    assert.equal(ok.status, 201, ok.text);
  });

  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const port = dashboard.port;
    const form: [string, string][] = [
      ["host", `127.0.0.1:${port}`],
      ["content-type", "application/x-www-form-urlencoded"],
    ];
    const login = (request: Parameters<typeof rawHttp>[1]) =>
      rawHttp(port, { method: "POST", target: "/login", ...request }, 8000);
    const declared = await login({
      headers: [...form, ["content-length", "300000000"]],
      endless: true,
    });
    assert.equal(declared.status, 413, `a 300 MB login: ${declared.status} ${declared.text}`);
    assert.match(declared.json.error, /too large/i);
    const streamed = await login({
      headers: form,
      chunks: [new TextEncoder().encode("token="), ...Array.from({ length: 8 }, () => kib(16))],
      endless: true,
    });
    assert.equal(streamed.status, 413, `an endless login: ${streamed.status} ${streamed.text}`);
    const right = await login({
      headers: form,
      body: new URLSearchParams({ token: TOKEN }).toString(),
    });
    assert.equal(right.status, 303, right.text);
  });
});

onEveryStore.test("dashboard security: after ten wrong tokens, guesses are throttled (429) whatever they are, while sessions keep working", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const form = (token: string) =>
      dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    const cookie = (await form(TOKEN)).headers.get("set-cookie")!.split(";")[0];
    // Ten wrong guesses at once (the bucket is full), from the form or as a Bearer token.
    const guesses = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          i % 2 === 0
            ? form(`wrong-token-${i}`)
            : dashboard.get("/api/overview", { authorization: `Bearer wrong-token-${i}` }),
      ),
    );
    assert.deepEqual(guesses.map((answer) => answer.status), Array(10).fill(401));
    // Then the next guesses are refused before they are compared, even a right one.
    for (const answer of [await form("wrong-token-x"), await form(TOKEN)]) {
      assert.equal(answer.status, 429, answer.text);
      assert.ok(Number(answer.headers.get("retry-after")) >= 1, "Retry-After");
      assert.equal(answer.headers.get("set-cookie"), null);
    }
    const bearer = await dashboard.get("/api/overview", { authorization: `Bearer ${TOKEN}` });
    assert.equal(bearer.status, 429, bearer.text);
    assert.match(bearer.json.error, /Too many wrong tokens/);
    // A logged-in browser is not locked out by someone else's guessing.
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);
    // One guess a second comes back.
    const later = await waitFor(
      "a login to be allowed again",
      async () => {
        const answer = await form(TOKEN);
        return answer.status === 303 ? answer : undefined;
      },
      5000,
      300,
    );
    assert.match(later.headers.get("set-cookie") ?? "", /^queuectl_session=/);
  });
});

onEveryStore.test("dashboard security: the login cookie is a session id, not the token; it has a Max-Age and logout ends it", async () => {
  await using sandbox = await makeSandbox();
  await withDashboard(sandbox, [], async (dashboard) => {
    const page = await dashboard.get("/");
    assert.ok(!page.text.includes('action="/logout"'), "no logout without a token");
  });
  await withDashboard(sandbox, ["--token", TOKEN], async (dashboard) => {
    const login = async () => {
      const answer = await dashboard.request("POST", "/login", {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN }).toString(),
      });
      assert.equal(answer.status, 303, answer.text);
      return answer.headers.get("set-cookie") ?? "";
    };
    const setCookie = await login();
    const [cookie, ...attributes] = setCookie.split(";").map((part) => part.trim());
    assert.match(cookie, /^queuectl_session=[0-9a-f]{32}$/, setCookie);
    assert.ok(!setCookie.includes(TOKEN) && !setCookie.includes(encodeURIComponent(TOKEN)));
    for (const attribute of ["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"]) {
      assert.ok(attributes.includes(attribute), `${setCookie} lacks ${attribute}`);
    }
    assert.notEqual(await login(), setCookie, "every login is a new session");
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);
    for (const forged of [`queuectl_token=${TOKEN}`, `queuectl_session=${TOKEN}`]) {
      const answer = await dashboard.get("/api/overview", { cookie: forged });
      assert.equal(answer.status, 401, `${forged}: ${answer.text}`);
    }

    const page = await dashboard.get("/", { cookie });
    assert.equal(page.status, 200);
    const csrf = /<meta name="csrf-token" content="([0-9a-f]{32})">/.exec(page.text)![1];
    assert.match(page.text, /<form method="post" action="\/logout" id="logout-form">/);
    assert.ok(
      page.text.includes(`<input type="hidden" name="csrf_token" value="${csrf}">`),
      "the logout form carries the CSRF token",
    );

    const logout = (headers: Record<string, string>, body = "") =>
      dashboard.request("POST", "/logout", { headers: { cookie, ...headers }, body });
    const forgedLogout = await logout({ "content-type": "application/x-www-form-urlencoded" });
    assert.equal(forgedLogout.status, 403, forgedLogout.text);
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 200);

    // The page's form: the CSRF token as a field.
    const out = await logout(
      { "content-type": "application/x-www-form-urlencoded" },
      new URLSearchParams({ csrf_token: csrf }).toString(),
    );
    assert.equal(out.status, 303, out.text);
    assert.equal(out.headers.get("location"), "/");
    const cleared = out.headers.get("set-cookie") ?? "";
    assert.match(cleared, /^queuectl_session=;/);
    assert.ok(cleared.split(";").map((part) => part.trim()).includes("Max-Age=0"), cleared);
    // The session is over on the server too, not only in that browser.
    assert.equal((await dashboard.get("/api/overview", { cookie })).status, 401);
    assert.equal((await dashboard.get("/", { cookie })).status, 401);

    // A script: the CSRF token as a header.
    const second = (await login()).split(";")[0];
    const scripted = await dashboard.request("POST", "/logout", {
      headers: { cookie: second, "x-csrf-token": csrf },
    });
    assert.equal(scripted.status, 303, scripted.text);
    assert.equal((await dashboard.get("/api/overview", { cookie: second })).status, 401);
  });
});

onEveryStore.test("dashboard --help: says --token shows in the process list and the environment variable does not", async () => {
  await using sandbox = await makeSandbox();
  const help = (await sandbox.ok(["dashboard", "--help"])).replace(/\s+/g, " ");
  assert.match(help, /--token shows in the process list/);
  assert.match(help, /QUEUECTL_DASHBOARD_TOKEN does not/);
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
