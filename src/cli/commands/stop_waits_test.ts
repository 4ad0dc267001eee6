/**
 * `cancel` and `worker stop` wait on the command's clock: with a manual one, their timeouts pass
 * without the test sleeping.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ManualClock } from "../../clock.ts";
import { ExitCode, QueuectlError } from "../../errors.ts";
import { openStore, type Store } from "../../store/mod.ts";
import type { CommandContext, CommandDefinition } from "../command.ts";
import { cancelCommand } from "./cancel.ts";
import { workerStopCommand } from "./worker_stop.ts";

async function withStore(
  body: (store: Store, run: Run, clock: ManualClock) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-stop-waits-" });
  const path = join(dir, "queue.db");
  const store = await openStore({ kind: "sqlite", path });
  const clock = new ManualClock(Date.now());
  try {
    const run: Run = async (command, positionals, values = {}) => {
      const out: string[] = [];
      const context: CommandContext = {
        store: () => Promise.resolve(store),
        location: { kind: "sqlite", path },
        clock,
        stdout: (text) => out.push(text),
        stderr: (text) => out.push(text),
        isTerminal: false,
        logLevel: "info",
        env: (name) => name === "QUEUECTL_HOST_ID" ? "host-here" : undefined,
        cwd: dir,
        readStdin: () => Promise.resolve(new Uint8Array()),
        stderrIsTerminal: false,
      };
      await command.run(context, { values, positionals });
      return out.join("");
    };
    await body(store, run, clock);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

type Run = (
  command: CommandDefinition,
  positionals: string[],
  values?: Record<string, string | boolean>,
) => Promise<string>;

Deno.test("cancel of a job whose worker never stops it gives up after kill_grace + 10 s of its clock", async () => {
  await withStore(async (store, run, clock) => {
    await store.jobInsert({
      jobs: [{
        id: "a",
        command: "sleep 100",
        maxRetries: 3,
        timeoutSeconds: null,
        runAt: clock.now(),
        priority: 0,
        queue: "default",
        backoffBase: null,
        cwd: null,
        env: null,
        after: [],
        uniqueKey: null,
        shell: null,
      }],
      now: clock.now(),
    });
    await store.jobClaim({ workerId: "w", leaseMs: 60_000, now: clock.now() });
    await store.configSet({ key: "kill_grace", value: "2" });
    const started = clock.now();
    const output = await run(cancelCommand, ["a"]);
    assert.equal(output, "a stopping (its worker will stop it and mark it canceled)\n");
    assert.equal(clock.now() - started, 12_000);
  });
});

Deno.test("worker stop gives up after --timeout of its clock and exits 124", async () => {
  await withStore(async (store, run, clock) => {
    await store.workerRegister({
      id: "elsewhere-1",
      host: "host-elsewhere", // Not signalled: only asked, through the store.
      pid: 1,
      pidStartTime: null,
      concurrency: 1,
      startedAt: clock.now(),
      heartbeatAt: clock.now(),
      stopRequested: null,
    });
    const started = clock.now();
    await assert.rejects(run(workerStopCommand, [], { timeout: "3" }), (error) => {
      assert.ok(error instanceof QueuectlError);
      assert.equal(error.exitCode, ExitCode.timeout);
      assert.match(error.message, /1 worker process\(es\) still running after 3 s: elsewhere-1/);
      return true;
    });
    assert.equal(clock.now() - started, 3_000);
    assert.equal((await store.workerList())[0].stopRequested, "drain");
  });
});
