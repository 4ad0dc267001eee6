/**
 * The dashboard's operator controls in a real browser (Debian's Chromium driven by
 * playwright-core), on every store, each click checked against the store through the CLI: Retry
 * runs a finished job again, Edit changes a waiting job (and refuses a bad value inline), "Retry
 * all …" confirms the count of a dry run before it changes anything, and Pause stops workers
 * claiming from the queue until Resume. See `../helpers/browser.ts` for when these tests are
 * ignored or fail because Chromium is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSandbox, snapshotDatabase, waitFor } from "../helpers/cli.ts";
import { enqueueFile, makeDead, withDashboard } from "../helpers/dashboard.ts";
import { inBrowser, type Page, textOf, withPage } from "../helpers/browser.ts";
import { enqueue, startWorker, stopWorker, waitForState } from "../helpers/jobs.ts";

/** A job as `info --json` shows it (the fields read here). */
type Info = { state: string; runs: { stdout: string }[]; run_at: string };

/** Opens the dashboard at `hash` and waits for its first successful refresh. */
async function open(page: Page, base: string, hash: string): Promise<void> {
  await page.goto(new URL(hash, base).href);
  await page.locator('#status[data-status="ok"]').waitFor();
}

inBrowser.test("browser: Retry on a dead job's row and on a completed job's page runs each again", async () => {
  await using sandbox = await makeSandbox();
  const dir = await Deno.makeTempDir();
  const fixed = join(dir, "fixed");
  // Dies until the file exists: once it does, a retried run completes.
  await enqueueFile(sandbox, [
    { id: "flaky", command: `test -f '${fixed}'`, max_retries: 0 },
    { id: "report", command: "echo report" },
    { id: "other", command: "exit 3", max_retries: 0 },
  ]);
  const worker = await startWorker(sandbox);
  try {
    await waitForState(sandbox, "flaky", "dead");
    await waitForState(sandbox, "other", "dead");
    await waitForState(sandbox, "report", "completed");
    await Deno.writeTextFile(fixed, "");
    await withDashboard(sandbox, [], async (dashboard) => {
      await withPage(async ({ page }) => {
        await open(page, dashboard.base, "#/jobs");
        const row = page.locator('table.jobs tr[data-job-id="flaky"]');
        await row.waitFor();
        assert.equal(
          await page.locator('table.jobs tr[data-state="pending"] button[data-action="retry"]')
            .count(),
          0,
        );
        await row.locator('button[data-action="retry"]').click();
        await page.locator('#flash[data-kind="ok"]').waitFor();
        assert.equal(await textOf(page, "#flash"), "Retried flaky");
        const flaky = await waitForState(sandbox, "flaky", "completed", 15_000);
        assert.equal((flaky as Info).runs.length, 2, "its first run is kept");
        assert.equal((await sandbox.info("other")).state, "dead", "only the clicked job");

        await open(page, dashboard.base, "#/jobs/report");
        await page.click('#job-actions button[data-action="retry"]');
        await waitFor("report to run again", async () => {
          const job = await sandbox.info("report") as Info;
          return job.state === "completed" && job.runs.length === 2 ? job : undefined;
        }, 15_000);
        await page.locator('#job-state[data-state="completed"]').waitFor();
        await page.locator('table.runs tr[data-attempt="1"]').nth(1).waitFor();
      });
    });
  } finally {
    await stopWorker(worker);
    await Deno.remove(dir, { recursive: true });
  }
});

inBrowser.test("browser: Edit changes a waiting job's command and run time, and refuses a bad priority inline", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "later", "--run-at", "2099-01-01T00:00:00Z", "--", "echo old"]);
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base, "#/jobs/later");
      await page.click('#job-actions button[data-action="edit"]');
      const form = page.locator("form#edit-form");
      assert.equal(await form.locator('[name="command"]').inputValue(), "echo old");
      assert.equal(
        await form.locator('[name="run_at"]').inputValue(),
        "2099-01-01T00:00:00.000Z",
      );

      const before = await snapshotDatabase(sandbox);
      await form.locator('[name="priority"]').fill("high");
      await form.locator('button[data-action="save-edit"]').click();
      await page.locator("#edit-error:not([hidden])").waitFor();
      assert.match((await textOf(page, "#edit-error"))!, /priority/);
      assert.equal(await snapshotDatabase(sandbox), before, "a refused edit changes nothing");

      await form.locator('[name="priority"]').fill("5");
      await form.locator('[name="command"]').fill("echo new");
      await form.locator('[name="env"]').fill("MODE=fast");
      await form.locator('button[data-action="run-now"]').click();
      await form.locator('button[data-action="save-edit"]').click();
      await page.locator('#flash[data-kind="ok"]').waitFor();
      assert.equal(await textOf(page, "#flash"), "Edited later");
      const job = await sandbox.info("later");
      assert.equal(job.command, "echo new");
      assert.equal(job.priority, 5);
      assert.deepEqual(job.env, { MODE: "fast" });
      assert.ok(Date.parse(job.run_at as string) <= Date.now(), `run_at ${job.run_at}`);
      await page.locator('#job-fields dd[data-field="command"]').filter({ hasText: "echo new" })
        .waitFor();

      // It runs with the new command.
      const worker = await startWorker(sandbox);
      try {
        const done = await waitForState(sandbox, "later", "completed", 15_000);
        assert.equal((done as Info).runs[0].stdout, "new\n");
      } finally {
        await stopWorker(worker);
      }
      // Finished: no Edit any more, Retry instead.
      await page.locator('#job-actions button[data-action="retry"]').waitFor();
      assert.equal(await page.locator('#job-actions button[data-action="edit"]').count(), 0);
    }, {
      // The refused priority: the page shows the server's message, the browser logs the 400.
      expectedErrors: [/^console: Failed to load resource: .* status of 400 \(Bad Request\)$/],
    });
  });
});

inBrowser.test("browser: Retry all dead in a queue shows the count of a dry run, and changes nothing until confirmed", async () => {
  await using sandbox = await makeSandbox();
  await enqueueFile(sandbox, [
    { id: "img-1", queue: "images", command: "exit 3", max_retries: 0 },
    { id: "img-2", queue: "images", command: "exit 3", max_retries: 0 },
  ]);
  await makeDead(sandbox, ["mail-1"]);
  await waitForState(sandbox, "img-2", "dead");
  await waitForState(sandbox, "img-1", "dead");
  await withDashboard(sandbox, [], async (dashboard) => {
    await withPage(async ({ page }) => {
      await open(page, dashboard.base, "#/jobs?state=dead&queue=images");
      await page.locator('table.jobs tr[data-job-id="img-1"]').waitFor();
      const before = await snapshotDatabase(sandbox);
      const button = page.locator('button[data-action="retry-matching"]');
      assert.equal(await textOf(page, 'button[data-action="retry-matching"]'), "Retry all dead…");
      await button.click();
      const bar = page.locator('#retry-confirm[data-count="2"]');
      await bar.waitFor();
      assert.match(
        (await textOf(page, "#retry-confirm"))!,
        /Run 2 dead jobs in queue images again\?/,
      );
      await page.click('#retry-confirm button[data-action="cancel-retry"]');
      await bar.waitFor({ state: "hidden" });
      assert.equal(await snapshotDatabase(sandbox), before, "a dry run and Cancel change nothing");

      await button.click();
      await page.click('#retry-confirm button[data-action="confirm-retry"]');
      await page.locator('#flash[data-kind="ok"]').waitFor();
      assert.equal(await textOf(page, "#flash"), "Retried 2 jobs");
      for (const id of ["img-1", "img-2"]) assert.equal((await sandbox.info(id)).state, "pending");
      assert.equal((await sandbox.info("mail-1")).state, "dead", "another queue's job stays");
      await page.locator("table.jobs tbody tr").first().waitFor({ state: "detached" });

      // A search cannot be part of a retry filter: the button says so rather than ignore it.
      await open(page, dashboard.base, "#/jobs?state=dead&q=mail");
      assert.equal(await button.isDisabled(), true);
      // Unfinished states have nothing to retry.
      await open(page, dashboard.base, "#/jobs?state=pending");
      assert.equal(await button.isHidden(), true);
    });
  });
});

inBrowser.test("browser: Pause on the overview stops workers claiming from that queue, Resume lets them", async () => {
  await using sandbox = await makeSandbox();
  await enqueue(sandbox, ["--id", "first", "--queue", "sync", "--", "true"]);
  const worker = await startWorker(sandbox, ["--queue", "sync,other"]);
  try {
    await waitForState(sandbox, "first", "completed");
    await withDashboard(sandbox, [], async (dashboard) => {
      await withPage(async ({ page }) => {
        await open(page, dashboard.base, "#/");
        const cell = page.locator('table.queues tr[data-queue="sync"] td.paused');
        await cell.waitFor();
        assert.equal(await cell.getAttribute("data-paused"), "false");
        await cell.locator('button[data-action="pause-queue"]').click();
        await page.locator('table.queues tr[data-queue="sync"] td.paused[data-paused="true"]')
          .waitFor();
        assert.match((await cell.textContent())!, /paused\s*until resumed/);
        const queue = JSON.parse(await sandbox.ok(["queue", "list", "--json"]))
          .find((q: { name: string }) => q.name === "sync");
        assert.equal(queue.paused, true);

        await enqueue(sandbox, ["--id", "held", "--queue", "sync", "--", "true"]);
        await enqueue(sandbox, ["--id", "free", "--queue", "other", "--", "true"]);
        // The worker claims from "other" meanwhile: it is running, only "sync" is held.
        await waitForState(sandbox, "free", "completed", 15_000);
        assert.equal((await sandbox.info("held")).state, "pending");
        await open(page, dashboard.base, "#/jobs?queue=sync");
        await page.locator('table.jobs tr[data-job-id="held"] [data-queue-paused="true"]')
          .waitFor();

        await open(page, dashboard.base, "#/");
        await cell.locator('button[data-action="resume-queue"]').click();
        await waitForState(sandbox, "held", "completed", 15_000);
        await page.locator('table.queues tr[data-queue="sync"] td.paused[data-paused="false"]')
          .waitFor();
      });
    });
  } finally {
    await stopWorker(worker);
  }
});
