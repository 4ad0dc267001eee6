/**
 * The dashboard's page in a real browser (Debian's Chromium driven by playwright-core), on every
 * store: what it shows is checked against the CLI, what it does through clicks and its form is
 * checked with the CLI, and data never becomes markup. See `../helpers/browser.ts` for when these
 * tests are ignored or fail because Chromium is missing.
 *
 * The overview's screenshot (1280×800, realistic data) is saved under `$QUEUECTL_TEST_ARTIFACTS`
 * (default `test-artifacts/` in the repository) as `dashboard-overview-<store>.png`; with
 * `QUEUECTL_UPDATE_SCREENSHOT=1`, the SQLite run also writes it to `docs/dashboard.png` (the
 * README's picture).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeSandbox, type Sandbox, waitFor } from "../helpers/cli.ts";
import {
  cliError,
  enqueueFile,
  execSql,
  makeDead,
  seedStates,
  STATES,
  withDashboard,
} from "../helpers/dashboard.ts";
import {
  colourCounts,
  decodePng,
  inBrowser,
  type Page,
  rgbaKey,
  textOf,
  VIEWPORT,
  withPage,
} from "../helpers/browser.ts";
import { enqueue, startWorker, stopWorker, waitForState } from "../helpers/jobs.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Waits until the page's overview shows `counts` (every state) and returns them. */
async function waitForCounts(page: Page, counts: Record<string, number>, what: string) {
  let shown: Record<string, string | null> = {};
  try {
    return await waitFor(what, async () => {
      shown = {};
      for (const state of STATES) {
        shown[state] = await textOf(page, `#state-counts [data-state="${state}"] .count`);
      }
      return STATES.every((state) => shown[state] === String(counts[state])) ? shown : undefined;
    }, 15_000);
  } catch (error) {
    throw new Error(
      `${error}\nshown: ${JSON.stringify(shown)}\nexpected: ${JSON.stringify(counts)}`,
    );
  }
}

/** Opens the dashboard at `hash` and waits for its first successful refresh. */
async function open(page: Page, base: string, hash = "#/"): Promise<void> {
  await page.goto(new URL(hash, base).href);
  await page.locator('#status[data-status="ok"]').waitFor();
}

inBrowser.test("browser: the overview shows the counts per state of the store, and follows it", async () => {
  await using sandbox = await makeSandbox();
  const seeded = await seedStates(sandbox);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base);
      const status = await sandbox.status();
      assert.deepEqual(status.jobs, seeded.counts);
      await waitForCounts(page, status.jobs, "the overview's counts");
      assert.equal(await page.locator('#view [data-view="overview"]').count(), 1);
      assert.equal(
        await page.getAttribute('#nav a[data-nav="overview"]', "aria-current"),
        "page",
      );
      assert.ok(
        (await textOf(page, "#location"))!.includes(sandbox.schema ?? sandbox.db),
        `#location shows ${await textOf(page, "#location")}`,
      );

      for (const [queue, counts] of Object.entries(seeded.byQueue)) {
        for (const state of STATES) {
          assert.equal(
            await textOf(
              page,
              `table.queues tr[data-queue="${queue}"] td[data-state="${state}"]`,
            ),
            String(counts[state]),
            `queue ${queue}, ${state}`,
          );
        }
      }
      assert.equal(await textOf(page, '#last-hour [data-stat="runs"] b'), "5");
      assert.equal(await textOf(page, '#last-hour [data-stat="completed"] b'), "3");
      assert.equal(await textOf(page, '#last-hour [data-stat="failed"] b'), "2");
      assert.equal(await textOf(page, '#last-hour [data-stat="failure_rate"] b'), "40.0%");
      const bars = await page.$$eval("#throughput g.bucket", (groups) =>
        groups.reduce(
          (sum, g) => ({
            completed: sum.completed + Number(g.getAttribute("data-completed")),
            failed: sum.failed + Number(g.getAttribute("data-failed")),
          }),
          { completed: 0, failed: 0 },
        ));
      assert.deepEqual(bars, { completed: 3, failed: 2 });
      assert.ok(await page.locator("#throughput rect.bar-completed").count() >= 1);

      // The page refreshes itself: a job enqueued with the CLI shows up without a reload.
      await enqueue(sandbox, ["--queue", "gamma", "--", "echo later"]);
      const after = await sandbox.status();
      assert.equal(after.jobs.pending, seeded.counts.pending + 1);
      await waitForCounts(page, after.jobs, "the overview to follow the store");
      await waitFor(
        "the queue table to follow",
        async () =>
          await textOf(page, 'table.queues tr[data-queue="gamma"] td[data-state="pending"]') ===
            "3",
      );
    });
  });
});

inBrowser.test("browser: the overview shows a queue's rate, when its window frees, and its group limit", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["queue", "set-rate", "api", "1/1h"]);
  await sandbox.ok(["queue", "set-group-concurrency", "deploy", "2"]);
  const first = await enqueue(sandbox, ["--queue", "api", "--", "true"]);
  await enqueue(sandbox, ["--queue", "api", "--", "true"]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, first, "completed");
  await stopWorker(worker);
  const [api] = (JSON.parse(await sandbox.ok(["queue", "list", "--json"])) as {
    name: string;
    rate_limited_until: string | null;
  }[]).filter((queue) => queue.name === "api");
  assert.ok(api.rate_limited_until, "the second job waits for the window");
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base);
      const rate = 'table.queues tr[data-queue="api"] td.rate';
      await page.locator(rate).waitFor();
      assert.equal(await page.getAttribute(rate, "data-rate-limited"), "true");
      assert.match((await textOf(page, rate))!, /^1\/1h limited frees in /);
      assert.equal(
        await textOf(page, 'table.queues tr[data-queue="deploy"] td.group-limit'),
        "2",
      );
      assert.equal(await textOf(page, 'table.queues tr[data-queue="deploy"] td.rate'), "none");
      assert.equal(await textOf(page, 'table.queues tr[data-queue="api"] td.group-limit'), "none");
    });
  });
});

inBrowser.test("browser: a click on Retry in the dead-letter view moves that job to pending", async () => {
  await using sandbox = await makeSandbox();
  await makeDead(sandbox, ["dead-a", "dead-b"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base, "#/dlq");
      assert.equal(await page.locator('#view [data-view="dlq"]').count(), 1);
      const rowA = page.locator('table.jobs tr[data-job-id="dead-a"]');
      await rowA.waitFor();
      assert.equal(await rowA.getAttribute("data-state"), "dead");
      assert.equal(await page.locator("table.jobs tbody tr").count(), 2);
      assert.equal(await textOf(page, "#page-info"), "1–2 of 2");

      await page.click('button[data-action="retry"][data-job-id="dead-a"]');
      // The flash first: it hides after 4 s, which a loaded machine's CLI calls can outlast.
      await page.locator('#flash[data-kind="ok"]').waitFor();
      assert.equal(await textOf(page, "#flash"), "Retried dead-a");
      const job = await waitForState(sandbox, "dead-a", "pending", 10_000);
      assert.equal(job.attempts, 0);
      assert.equal((await sandbox.info("dead-b")).state, "dead", "only the clicked job");
      await rowA.waitFor({ state: "detached" });
      assert.equal(await page.locator('table.jobs tr[data-job-id="dead-b"]').count(), 1);
      assert.equal(await textOf(page, "#page-info"), "1–1 of 1");
    });
  });
});

inBrowser.test("browser: the enqueue form shows the server's error inline, and a job it enqueues runs", async () => {
  await using sandbox = await makeSandbox();
  const worker = await startWorker(sandbox, ["--count", "2"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base);
      await page.click("#enqueue-toggle");
      const form = page.locator("#enqueue-form");
      await form.waitFor();
      assert.equal(await page.getAttribute("#enqueue-toggle", "aria-expanded"), "true");

      const bad: [Record<string, string>, Record<string, unknown>][] = [
        [{ command: "echo x", priority: "high" }, { command: "echo x", priority: "high" }],
        [{ command: "", priority: "" }, { command: "" }],
        [{ command: "echo x", delay: "soon" }, { command: "echo x", delay: "soon" }],
      ];
      for (const [fields, json] of bad) {
        for (const [name, value] of Object.entries(fields)) {
          await form.locator(`[name="${name}"]`).fill(value);
        }
        const expected = cliError(await sandbox.run(["enqueue", JSON.stringify(json)]));
        await form.locator('button[data-action="enqueue"]').click();
        await waitFor(
          `the form's error for ${JSON.stringify(json)}`,
          async () =>
            await page.locator("#enqueue-error").isVisible() &&
            await textOf(page, "#enqueue-error") === expected,
        );
        await form.locator('[name="delay"]').fill("");
      }
      assert.equal(await page.locator("#enqueue-panel").isVisible(), true, "the panel stays");
      const status = await sandbox.status();
      assert.equal(Object.values(status.jobs).reduce((a, b) => a + b, 0), 0, "nothing added");

      await form.locator('[name="command"]').fill("echo from the form");
      await form.locator('[name="queue"]').fill("web");
      await form.locator('[name="priority"]').fill("7");
      await form.locator('button[data-action="enqueue"]').click();
      const hash = await waitFor("the page to go to the new job", () => {
        const hash = new URL(page.url()).hash;
        return hash.startsWith("#/jobs/") ? hash : undefined;
      });
      const id = decodeURIComponent(hash.slice("#/jobs/".length));
      assert.equal(await page.locator("#enqueue-panel").isVisible(), false);
      const job = await waitForState(sandbox, id, "completed");
      assert.equal(job.command, "echo from the form");
      assert.equal(job.queue, "web");
      assert.equal(job.priority, 7);
      assert.equal(await textOf(page, "#job-id"), id);
      await page.locator('#job-state[data-state="completed"]').waitFor();
      await waitFor(
        "the run's output on the job page",
        async () =>
          (await page.locator(".run-output pre.stdout").allTextContents()).includes(
            "from the form\n",
          ),
      );
    }, {
      expectedErrors: [/^console: Failed to load resource: .* status of 400 \(Bad Request\)$/],
    });
  });
  await stopWorker(worker);
});

inBrowser.test("browser: commands and output that look like HTML are shown as text, never run", async () => {
  await using sandbox = await makeSandbox();
  const html = "<img src=x onerror=alert(1)>";
  const printed = "<img src=x onerror=alert(2)>";
  const printedErr = "<script>alert(3)</script>";
  await enqueue(sandbox, ["--id", "xss-1", "--max-retries", "0", "--shell", "bash", "--", html]);
  await enqueue(sandbox, [
    "--id",
    "xss-2",
    "--",
    `printf '%s\\n' '${printed}'; printf '%s' '${printedErr}' >&2`,
  ]);
  const worker = await startWorker(sandbox);
  await waitForState(sandbox, "xss-2", "completed");
  await waitForState(sandbox, "xss-1", "dead");
  await stopWorker(worker);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page, dialogs }) => {
      const noMarkup = async (where: string) => {
        assert.equal(await page.locator("img").count(), 0, `an <img> element on ${where}`);
        assert.equal(
          await page.locator("script").count(),
          2,
          `a script element besides operator.js and app.js on ${where}`,
        );
        assert.deepEqual(dialogs, [], `a dialog opened on ${where}`);
      };

      await open(page, dashboard.base, "#/jobs");
      const cell = page.locator('table.jobs tr[data-job-id="xss-1"] td.command');
      await cell.waitFor();
      assert.equal(await cell.textContent(), html);
      assert.equal(await page.getByText(html, { exact: true }).first().isVisible(), true);
      await noMarkup("the jobs list");

      await open(page, dashboard.base, "#/jobs/xss-1");
      await page.locator('#job-state[data-state="dead"]').waitFor();
      assert.equal(await textOf(page, 'dd[data-field="command"]'), html);
      assert.equal(await textOf(page, 'dd[data-field="shell"]'), "bash");
      assert.equal(await page.getByText(html, { exact: true }).first().isVisible(), true);
      await noMarkup("the job's page");

      await open(page, dashboard.base, "#/jobs/xss-2");
      await page.locator('#job-state[data-state="completed"]').waitFor();
      assert.equal(await textOf(page, 'dd[data-field="shell"]'), "config");
      await page.locator(".run-output pre.stdout").first().waitFor({ state: "attached" });
      assert.deepEqual(await page.locator(".run-output pre.stdout").allTextContents(), [
        `${printed}\n`,
      ]);
      assert.deepEqual(await page.locator(".run-output pre.stderr").allTextContents(), [
        printedErr,
      ]);
      await noMarkup("the page of a job that printed HTML");

      // The dialog listener works: a real alert is seen (and dismissed).
      await page.evaluate(() => alert("control"));
      assert.deepEqual(dialogs, ["alert: control"]);
    });
  });
});

inBrowser.test("browser: the batches view shows each batch as the CLI does, and links to its jobs and callbacks", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["config", "set", "poll_interval", "0.2"]);
  await sandbox.ok([
    "enqueue",
    "--batch",
    "nightly",
    "--on-failure",
    "echo oops",
    "--id",
    "n1",
    "--max-retries",
    "0",
    "--",
    "exit 2",
  ]);
  await sandbox.ok(["enqueue", "--batch", "nightly", "--id", "n2", "--", "true"]);
  await sandbox.ok([
    "enqueue",
    "--batch",
    "open-one",
    "--on-complete",
    "echo done",
    "--id",
    "o1",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  const worker = await startWorker(sandbox);
  const settled = await waitFor("batch nightly's callback to run", async () => {
    const batch = JSON.parse(await sandbox.ok(["batch", "info", "nightly", "--json"]));
    return batch.on_failure.state === "completed" ? batch : undefined;
  });
  await stopWorker(worker);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base, "#/batches");
      const row = page.locator('table.batches tr[data-batch="nightly"]');
      await row.waitFor();
      assert.equal(await row.getAttribute("data-status"), "failed");
      assert.equal(await textOf(page, 'tr[data-batch="nightly"] td[data-state="dead"]'), "1");
      assert.equal(
        await textOf(page, 'tr[data-batch="nightly"] td[data-state="completed"]'),
        "1",
      );
      const failure = page.locator(
        'tr[data-batch="nightly"] td.callback[data-callback="on_failure"]',
      );
      assert.equal(await failure.getAttribute("data-state"), "completed");
      assert.equal(
        await page.getAttribute(
          'tr[data-batch="nightly"] td[data-callback="on_failure"] a',
          "href",
        ),
        "#/jobs/" + settled.on_failure.job_id,
      );
      assert.equal(
        await page.getAttribute('table.batches tr[data-batch="open-one"]', "data-status"),
        "open",
      );
      assert.equal(
        await page.getAttribute(
          'tr[data-batch="open-one"] td[data-callback="on_complete"]',
          "data-state",
        ),
        "blocked",
      );
      await page.click('tr[data-batch="nightly"] a.batch-jobs');
      await page.locator('table.jobs tr[data-job-id="n2"]').waitFor();
      assert.equal(await page.locator("table.jobs tr[data-job-id]").count(), 2);
      assert.match((await textOf(page, "#batch-filter")) ?? "", /Batch nightly/);
      await open(page, dashboard.base, "#/jobs/n1");
      // The job's page renders after its fetch: wait for it, not only for the page's status.
      await page.locator('dd[data-field="batch"]').waitFor();
      assert.equal(await textOf(page, 'dd[data-field="batch"]'), "nightly");
    });
  });
});

inBrowser.test("browser: a screenshot of the overview with realistic data", async () => {
  await using sandbox = await makeSandbox();
  const worker = await fillRealistically(sandbox);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base);
      await waitForCounts(page, (await sandbox.status()).jobs, "the overview's counts");
      await page.locator("table.live-workers tr[data-worker-id]").waitFor();
      await waitFor(
        "bars spread over the last hour",
        async () => await page.locator("#throughput rect.bar-completed").count() >= 10,
      );
      await page.locator('table.queues tr[data-queue="deploy"]').waitFor();
      const artifacts = Deno.env.get("QUEUECTL_TEST_ARTIFACTS") || join(REPO, "test-artifacts");
      const path = join(artifacts, `dashboard-overview-${sandbox.store}.png`);
      await Deno.mkdir(artifacts, { recursive: true });
      const counts = (await sandbox.status()).jobs;
      await page.screenshot({ path });
      await assertScreenshotShows(page, path, counts);
      if (Deno.env.get("QUEUECTL_UPDATE_SCREENSHOT") === "1" && sandbox.store === "sqlite") {
        const docs = join(REPO, "docs", "dashboard.png");
        await Deno.mkdir(dirname(docs), { recursive: true });
        await Deno.copyFile(path, docs);
      }
    });
  });
  // The long deploy stops when canceled; then the worker exits 0.
  await sandbox.ok(["cancel", "deploy-web"]);
  await waitForState(sandbox, "deploy-web", "canceled");
  await stopWorker(worker);
});

/**
 * The screenshot at `path`, just taken of `page`, shows the overview: the navigation, the counts
 * per state (`counts`), the chart with its bars, the queues and the live workers are in the
 * page's text and inside the picture, each region of the picture drawn (many colours, where a
 * blank or unstyled page has a few), the chart's bars in their colour.
 */
async function assertScreenshotShows(page: Page, path: string, counts: Record<string, number>) {
  const image = await decodePng(path);
  assert.deepEqual({ width: image.width, height: image.height }, VIEWPORT);
  const everything = colourCounts(image);
  assert.ok(everything.size >= 500, `the screenshot has only ${everything.size} colours`);

  const nav = await page.locator("#nav").innerText();
  for (const label of ["Overview", "Jobs", "Dead letters", "Schedules", "Workers"]) {
    assert.ok(nav.includes(label), `the navigation shows ${label}: ${JSON.stringify(nav)}`);
  }
  const cards = await page.locator("#state-counts").innerText();
  for (const state of STATES) {
    assert.match(cards, new RegExp(`(^|\\n)${counts[state]}\\s+${state}(\\n|$)`, "i"), cards);
  }
  const regions: [string, string, number][] = [
    ["the navigation", "#nav", 20],
    ["the counts per state", "#state-counts", 100],
    ["the throughput chart", "#throughput", 50],
    ["the queues", "table.queues", 100],
    ["the live workers", "table.live-workers", 30],
  ];
  for (const [what, selector, fewest] of regions) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box, `${what} (${selector}) is displayed`);
    assert.ok(
      box.x >= 0 && box.y >= 0 && box.x + box.width <= image.width &&
        box.y + box.height <= image.height,
      `${what} lies inside the screenshot: ${JSON.stringify(box)}`,
    );
    const colours = colourCounts(image, box).size;
    assert.ok(colours >= fewest, `${what} is drawn: ${colours} colours at ${JSON.stringify(box)}`);
  }
  const chart = (await page.locator("#throughput").boundingBox())!;
  const bars = page.locator("#throughput rect.bar-completed");
  // These functions run in the page; Deno's types have no DOM, hence the casts.
  type InPage = { getComputedStyle(element: unknown): { fill: string } };
  const green = rgbaKey(
    await bars.first().evaluate((bar) =>
      (globalThis as unknown as InPage).getComputedStyle(bar).fill
    ),
  );
  const barArea = await bars.evaluateAll((all) =>
    all.map((bar) => bar.getBoundingClientRect())
      .reduce((sum, { width, height }) => sum + width * height, 0)
  );
  assert.ok(barArea > 0, "the chart has bars");
  const drawn = colourCounts(image, chart).get(green) ?? 0;
  assert.ok(
    drawn >= barArea * 0.8,
    `the chart's bars are drawn: ${drawn} pixels of their colour for ${barArea} px² of bars`,
  );
}

/**
 * A queue as a team would have it: seventy-odd jobs in five queues, most completed, some dead,
 * one failed waiting for its retry, a deploy running (and one pending behind it, the queue
 * limited to one at a time), delayed, blocked and canceled jobs; the runs spread over the last
 * hour. Returns the worker, still running the deploy.
 */
async function fillRealistically(sandbox: Sandbox) {
  await sandbox.ok(["queue", "set-concurrency", "deploy", "1"]);
  const now: Record<string, unknown>[] = [
    // Runs until canceled: the worker shows busy on the screenshot.
    { id: "deploy-web", command: "echo 'deploying web to prod'; sleep 300", queue: "deploy" },
  ];
  for (let i = 1; i <= 30; i++) {
    now.push({ command: `echo "sent welcome mail to user ${1040 + i}"`, queue: "emails" });
  }
  now.push({
    command: 'echo "smtp: 550 mailbox unavailable" >&2; exit 75',
    queue: "emails",
    max_retries: 0,
  });
  for (const report of ["daily-sales", "inventory", "churn", "signups", "refunds", "ad-spend"]) {
    now.push({ command: `echo "report ${report} built"`, queue: "reports" });
  }
  for (const report of ["warehouse-sync", "tax-export"]) {
    now.push({
      command: `echo "report ${report}: upstream 503" >&2; exit 1`,
      queue: "reports",
      max_retries: 0,
    });
  }
  for (let i = 1; i <= 18; i++) {
    now.push({ command: `echo "resized photo_${3300 + i}.jpg to 3 sizes"`, queue: "images" });
  }
  now.push({
    id: "thumb-flaky",
    command: 'echo "convert: out of memory" >&2; exit 1',
    queue: "images",
    max_retries: 3,
    backoff_base: 900,
  });
  for (const task of ["rotate-logs", "vacuum-analyze", "refresh-sitemap"]) {
    now.push({ command: `echo "${task} ok"` });
  }
  await enqueueFile(sandbox, now);
  const worker = await startWorker(sandbox, ["--count", "4"]);
  await waitForState(sandbox, "deploy-web", "processing");
  await waitForState(sandbox, "thumb-flaky", "failed");
  await waitFor("the first jobs to finish", async () => {
    const { jobs } = await sandbox.status();
    return jobs.completed === now.length - 5 && jobs.dead === 3 ? jobs : undefined;
  }, 30_000);
  // Spread the finished runs over the last hour: each moved back by 1 to 58 minutes, scattered
  // by a hash (a quadratic modulo a prime) of the job's sequence number.
  const back =
    "((((job_seq * job_seq * 2654435761 + job_seq * 40503) % 1000003) % 58) + 1) * 60000";
  await execSql(sandbox, (table) =>
    `UPDATE ${table("job_runs")} SET
       started_at = started_at - ${back},
       finished_at = finished_at - ${back},
       due_at = due_at - ${back}`);
  await enqueueFile(sandbox, [
    { id: "deploy-api", command: "echo 'deploying api to prod'", queue: "deploy" },
    {
      id: "deploy-notify",
      command: "echo 'posted the release notes'",
      queue: "deploy",
      after: ["deploy-web"],
    },
    { command: 'echo "nightly backup"', delay: "5h" },
    { command: 'echo "weekly digest"', queue: "emails", delay: "2h" },
    { command: 'echo "report quarterly built"', queue: "reports", delay: "45m" },
    { command: 'echo "report forecast built"', queue: "reports", delay: "50m" },
    { id: "reindex-search", command: 'echo "reindexed"', delay: "1h" },
  ]);
  await sandbox.ok(["cancel", "reindex-search"]);
  return worker;
}
