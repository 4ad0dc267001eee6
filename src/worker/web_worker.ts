/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * A worker thread: a Web Worker with its own store connection, running one or more slots, each
 * of which claims and runs one job at a time (a job is a subprocess, so one thread keeps several
 * going; a thread costs ~12 MiB, a slot almost nothing). Its supervisor (main thread) tells it
 * when to wake, drain or stop. This module is an entry point of its own: `deno compile` must be
 * given it with `--include`.
 *
 * @module
 */
import { systemClock } from "../clock.ts";
import type { Config } from "../config.ts";
import { errorMessage, StoreUnavailableError } from "../errors.ts";
import { type Logger, setupLogging } from "../log.ts";
import { openStore, type Store } from "../store/mod.ts";
import { IdleSlots } from "./idle_slots.ts";
import { JobRunner, type StoreHealth } from "./job_runner.ts";
import { survivingLostConnections } from "./lost_connections.ts";
import type { FromSlot, ToSlot } from "./messages.ts";

let config: Config;
let mode: "running" | "drain" | "stop-now" = "running";
const runners: JobRunner[] = [];
/** Replaced at "start" by one that publishes its count to the process (see `IdleCounter`). */
let idle = new IdleSlots();
/** This thread's count of claims the supervisor has not heard of yet (replaced at "start"). */
let pendingClaims: { counts: Int32Array; index: number } = { counts: new Int32Array(1), index: 0 };

function send(message: FromSlot): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<ToSlot>) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      config = message.config;
      idle = new IdleSlots({
        counts: new Int32Array(message.idleCounts),
        index: message.threadIndex,
      });
      pendingClaims = { counts: new Int32Array(message.claimCounts), index: message.threadIndex };
      run(message).catch((error) => send({ type: "failed", message: errorMessage(error) }));
      return;
    case "wake":
      // With no idle slot here (they became busy since the supervisor looked), the next slot to
      // finish claims at once; a thread with an idle slot may take it sooner. A wake-up sent to
      // every thread is not passed on: none had an idle slot, and a spare started already.
      if (idle.idleCount === 0 && !message.everyThread) passOnWork();
      idle.wakeOne();
      return;
    case "config":
      config = message.config;
      return;
    case "drain":
      if (mode === "running") mode = "drain";
      idle.wakeAll();
      return;
    case "stop-now":
      mode = "stop-now";
      for (const runner of runners) runner.stop("shutdown");
      idle.wakeAll();
      return;
    case "lease-lost":
      for (const runner of runners) runner.stop("lease-lost", message);
      return;
    case "cancel":
      for (const runner of runners) runner.stop("canceled", message);
      return;
  }
};

/**
 * Work may be left that no slot of this thread can take now: a slot of another thread looks (the
 * supervisor wakes one), or, with none idle in the process, a parked spare thread starts.
 */
function passOnWork(): void {
  if (mode !== "running") return;
  if (idle.othersIdle()) {
    send({ type: "wake-others" });
    return;
  }
  const parked = idle.takeParked();
  if (parked !== -1) send({ type: "start-thread", threadIndex: parked });
}

/** Until the next job comes due, but no longer than the poll interval. */
async function idleTime(store: Store, queues: string[] | undefined): Promise<number> {
  const poll = config.pollInterval * 1000;
  try {
    const next = await store.jobNextRunAt({ queues, now: Date.now() });
    const untilDue = next === undefined ? poll : next - Date.now();
    // A job due already was not claimable (its queue is full): a finish there wakes us.
    return untilDue > 0 ? Math.min(poll, untilDue) : poll;
  } catch {
    return poll;
  }
}

async function run(start: Extract<ToSlot, { type: "start" }>): Promise<void> {
  const logger = await setupLogging({
    level: start.logLevel,
    file: start.logFile,
    // So that the threads' lines mask the database's secrets as the supervisor's do.
    location: start.location.kind === "postgres" ? start.location.url : undefined,
  });
  survivingLostConnections(logger(`worker.${start.slots[0]}`));
  const store = await openStore(start.location, {
    durability: "normal",
    threadLock: start.threadLock,
  });
  await Promise.all(
    start.slots.map((slot) => runSlot(start, slot, store, logger(`worker.${slot}`))),
  );
  await store.close().catch((error) =>
    logger("worker").warn(`Cannot close the store: ${errorMessage(error)}`)
  );
  send({ type: "exited" });
}

/** One slot's loop: a job at a time until the supervisor says drain or stop. */
async function runSlot(
  start: Extract<ToSlot, { type: "start" }>,
  slot: number,
  store: Store,
  log: Logger,
): Promise<void> {
  const storeHealth = slotStoreHealth(slot);
  // Whether this slot holds one in `pendingClaims`: added just before a claim is sent (alone or
  // with a finish), taken back by the supervisor when it reads the job's run-start, else by the
  // slot once runOnce() returns or throws holding no job (none came, the claim failed, or the
  // job was not run). A job claimed with a finish stays counted until its own run-start.
  let counted = false;
  const runner = new JobRunner({
    store,
    clock: systemClock,
    workerId: start.workerId,
    config: () => config,
    log,
    env: Deno.env.toObject(),
    queues: start.queues,
    storeHealth,
    onRunStart: (job) => {
      send({ type: "run-start", jobId: job.id, leaseToken: job.leaseToken });
      counted = false;
      // More may be due: an idle slot looks now, not after this run (which may take hours), so
      // a batch starts on every slot at once. One here, else one of another thread (through the
      // supervisor), else a parked thread starts; with none of these, nobody is told, so a
      // steady drain costs no message.
      if (idle.idleCount > 0) idle.wakeOne();
      else passOnWork();
    },
    onRunEnd: (job) => send({ type: "run-end", jobId: job.id, leaseToken: job.leaseToken }),
    // Counted before the claim is sent: a lease the heartbeat sees held is then either among
    // the supervisor's runs or still counted here, never taken for a lost claim's.
    onClaim: () => {
      if (counted) return;
      Atomics.add(pendingClaims.counts, pendingClaims.index, 1);
      counted = true;
    },
    // A finish takes the slot's next job in its own transaction while the slot goes on.
    claimNext: () => mode === "running",
  });
  runners.push(runner);
  let failing = false;
  // A job claimed with the last finish as a drain or stop arrived is given back by one more
  // runOnce (it starts no run).
  while (mode === "running" || runner.holdsClaim) {
    let ran = false;
    try {
      ran = await runner.runOnce();
      storeHealth.answered();
      if (failing) log.info("Taking jobs again");
      failing = false;
    } catch (error) {
      // Wait, then try again. The store unavailable (unreachable, its disk full, busy beyond
      // its retries) is said once by the supervisor for the whole process; anything else once
      // here, not at every poll.
      if (error instanceof StoreUnavailableError) {
        storeHealth.failed(error);
      } else {
        if (!failing) log.error(`Cannot take or finish a job: ${errorMessage(error)}`);
        failing = true;
      }
    } finally {
      // No job, a claim that failed, or a job not run (unreadable row, or given back on a
      // drain): nothing to wait for. A job the finish claimed is run by the next runOnce().
      if (counted && !runner.holdsClaim) {
        Atomics.sub(pendingClaims.counts, pendingClaims.index, 1);
        counted = false;
      }
    }
    // A slot that found work claims again at once: more may be due (it passed the wake-up on
    // when it claimed, see onRunStart).
    if (ran) continue;
    if (mode !== "running") break;
    // Poll at each timeout, unless an earlier thread of the process has an idle slot: it polls
    // for the process (one poll per process, not one per thread), and wakes us if it finds
    // work. Skipping a poll costs no query; the look again comes a poll interval later.
    let waitMs = await idleTime(store, start.queues);
    while (
      await idle.wait(waitMs) === "timeout" && mode === "running" && idle.earlierThreadIdle()
    ) {
      waitMs = config.pollInterval * 1000;
    }
  }
}

/** Tells the supervisor when this slot's store calls start failing and when they work again. */
function slotStoreHealth(slot: number): StoreHealth {
  let failing = false;
  return {
    failed(error) {
      if (!failing) send({ type: "store-failed", slot, message: errorMessage(error) });
      failing = true;
    },
    answered() {
      if (failing) send({ type: "store-answered", slot });
      failing = false;
    },
  };
}
