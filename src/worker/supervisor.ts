/**
 * The worker process's main thread: registers the process in the store, starts one Web Worker
 * per slot, heartbeats (renewing the leases of running jobs), runs the rescuer, relays wake-ups,
 * and turns SIGTERM/SIGINT or `worker stop` into a drain (first) or an immediate stop (second,
 * or `--now`).
 *
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { type Config, configFromOverrides } from "../config.ts";
import { errorMessage, QueuectlError } from "../errors.ts";
import type { Logger, LogLevel } from "../log.ts";
import { openStore, type StopMode, type Store, type StoreLocation } from "../store/mod.ts";
import { leaseDurationMs } from "./job_runner.ts";
import type { FromSlot, ToSlot } from "./messages.ts";
import { processStartTime } from "./process_identity.ts";
import { killOrphan, rescueOnce } from "./rescuer.ts";
import { survivingLostConnections } from "./lost_connections.ts";
import { UnclaimedLeases } from "./unclaimed_leases.ts";

/** What a worker process is asked to do. */
export interface SupervisorOptions {
  location: StoreLocation;
  /** How many jobs run at once (one Web Worker each). */
  count: number;
  /** The queues to serve; all when not given. */
  queues?: string[];
  /** This host's id (`QUEUECTL_HOST_ID`, else the hostname). */
  host: string;
  logLevel: LogLevel;
  logFile?: string;
  logger: (category: string) => Logger;
  clock?: Clock;
  /** Called once the process is registered and its slots are starting. */
  onReady?: (workerId: string) => void;
}

interface Slot {
  worker: Worker;
  running: { jobId: string; leaseToken: number } | null;
  /** Resolves when the slot has stopped: true when it ended by failing, not by being told. */
  exited: Promise<boolean>;
}

/** Runs the worker process until it is stopped, then returns (exit code 0 is the caller's). */
export async function runSupervisor(options: SupervisorOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const log = options.logger("supervisor");
  const stopSurviving = survivingLostConnections(log);
  const store = await openStore(options.location, { durability: "normal" });
  let config = configFromOverrides(await store.configOverrides());
  const workerId = `${options.host}-${Deno.pid}-${randomSuffix()}`;
  await register(store, workerId, options, clock);
  log.info(
    `Worker process ${workerId} started with ${options.count} worker(s) on ${store.location}`,
  );
  const rescuerLog = options.logger("rescuer");
  const rescue = () =>
    rescueOnce({ store, host: options.host, config, log: rescuerLog }, clock.now());
  await rescue();

  let stopping: StopMode | null = null;
  const slots: Slot[] = [];
  // One lock for all slots' write transactions (see ThreadLock).
  const threadLock = new SharedArrayBuffer(4);
  const slotsEnded = Array.from(
    { length: options.count },
    (_, index) =>
      superviseSlot(index, slots, () => startSlot(options, workerId, config, index, threadLock), {
        isStopping: () => stopping !== null,
        log,
      }),
  );
  const broadcast = (message: ToSlot) => slots.forEach((slot) => slot.worker.postMessage(message));
  const stop = (mode: StopMode) => {
    if (stopping === "now" || stopping === mode) return;
    stopping = mode;
    log.info(
      mode === "drain"
        ? "Stopping: taking no new jobs, letting running ones finish (signal again to stop at once)"
        : "Stopping now: running jobs are terminated and will run again",
    );
    broadcast({ type: mode === "drain" ? "drain" : "stop-now" });
  };
  const onSignal = async () => {
    if (stopping) return stop("now");
    // `worker stop --now` records its wish in the store before it signals us.
    const beat = await store.workerHeartbeat({ id: workerId, now: clock.now() }).catch(() => null);
    stop(beat?.stopRequested === "now" ? "now" : "drain");
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGTERM", "SIGINT"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const relayCancels = () =>
    relayCancelRequests(store, workerId, slots).catch((error) =>
      log.error(`Cannot look for cancel requests: ${errorMessage(error)}`)
    );
  const unsubscribe = store.workSubscribe({
    onWork: () => {
      broadcast({ type: "wake" });
      relayCancels();
    },
  });
  options.onReady?.(workerId);

  const unclaimed = new UnclaimedLeases(store, {
    log: options.logger("supervisor"),
    // The job of a crashed slot may still be running here: stop it before it runs again.
    stopProcess: (job) => killOrphan(job, config),
  });
  let lastPurge = 0;
  let lastRetention = config.retention;
  const heartbeat = async () => {
    try {
      config = configFromOverrides(await store.configOverrides());
      broadcast({ type: "config", config });
      const beat = await heartbeatOnce(store, workerId, slots, config, unclaimed, clock.now());
      if (beat.stopRequested) stop(beat.stopRequested);
      // Silent so long that we were taken for dead and forgotten: register again.
      if (!beat.registered) await register(store, workerId, options, clock);
      await relayCancels();
      await rescue();
      // Once a minute, and at once when the setting changes (so trying it out shows it works).
      const retentionChanged = config.retention !== lastRetention;
      lastRetention = config.retention;
      if (config.retention > 0 && (retentionChanged || clock.now() - lastPurge >= PURGE_EVERY_MS)) {
        lastPurge = clock.now();
        await purgeExpired(store, config, clock.now(), log);
      }
    } catch (error) {
      log.error(`Heartbeat failed: ${errorMessage(error)}`);
    }
  };
  // Cron schedules: every process tries; the store lets one win each scheduled time.
  const { runSchedulerOnce } = await import("../schedule/scheduler.ts");
  let schedulerTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleTick = () => {
    schedulerTimer = setTimeout(async () => {
      try {
        for (const fired of await runSchedulerOnce(store, clock.now(), config)) {
          log.info(
            fired.jobId
              ? `Schedule "${fired.name}" enqueued job "${fired.jobId}"`
              : `Schedule "${fired.name}" skipped runs missed while no worker was up`,
          );
        }
      } catch (error) {
        log.error(`Scheduler failed: ${errorMessage(error)}`);
      }
      if (schedulerTimer !== undefined) scheduleTick();
    }, SCHEDULER_TICK_MS);
  };
  scheduleTick();
  // Scheduled one after another (never overlapping), at the interval in force each time.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const scheduleHeartbeat = () => {
    timer = setTimeout(async () => {
      await heartbeat();
      if (timer !== undefined) scheduleHeartbeat();
    }, config.heartbeatInterval * 1000);
  };
  scheduleHeartbeat();
  // A failed slot leaves the others running: fewer jobs at once beats none. Once every slot has
  // ended, the process exits, with an error if any of them failed.
  const failures = (await Promise.all(slotsEnded)).filter(Boolean).length;
  clearTimeout(timer);
  timer = undefined;
  clearTimeout(schedulerTimer);
  schedulerTimer = undefined;
  unsubscribe();
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  await store.workerDeregister({ id: workerId });
  await store.close();
  stopSurviving();
  log.info(`Worker process ${workerId} stopped`);
  if (failures > 0) {
    throw new QueuectlError(`${failures} of ${options.count} worker(s) failed: see the log above`);
  }
}

/**
 * Keeps slot `index` running: a slot that crashed or failed (its store unreachable when it
 * started, say) is replaced after a pause that grows to 30 s, until the process stops. Its
 * running job is forgotten, so the heartbeat stops renewing that lease and `UnclaimedLeases`
 * gives the job back. Resolves once the slot has ended for good: true if it ended by failing.
 */
async function superviseSlot(
  index: number,
  slots: Slot[],
  start: () => Slot,
  options: { isStopping: () => boolean; log: Logger },
): Promise<boolean> {
  for (let pauseMs = 1_000;; pauseMs = Math.min(pauseMs * 2, 30_000)) {
    const slot = start();
    slots[index] = slot;
    const failed = await slot.exited;
    slot.running = null;
    if (!failed || options.isStopping()) return failed;
    options.log.warn(`Worker ${index + 1} starts again in ${pauseMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    if (options.isStopping()) return false;
  }
}

function startSlot(
  options: SupervisorOptions,
  workerId: string,
  config: Config,
  index: number,
  threadLock: SharedArrayBuffer,
): Slot {
  const log = options.logger("supervisor");
  const worker = new Worker(new URL("./web_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const slot: Slot = { worker, running: null, exited: Promise.resolve(false) };
  slot.exited = new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<FromSlot>) => {
      const message = event.data;
      if (message.type === "run-start") slot.running = message;
      if (message.type === "run-end") slot.running = null;
      if (message.type === "failed") {
        log.error(`Worker ${index + 1} failed: ${message.message}`);
      }
      if (message.type === "exited" || message.type === "failed") {
        worker.terminate();
        resolve(message.type === "failed");
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      log.error(`Worker ${index + 1} crashed: ${event.message}`);
      worker.terminate();
      resolve(true);
    };
  });
  worker.postMessage(
    {
      type: "start",
      location: options.location,
      workerId,
      slot: index + 1,
      queues: options.queues,
      config,
      logLevel: options.logLevel,
      logFile: options.logFile,
      threadLock,
    } satisfies ToSlot,
  );
  return slot;
}

/**
 * Proves the process alive and renews its leases. A job a slot runs whose lease was not renewed
 * was rescued elsewhere: that slot is told to stop it.
 */
async function heartbeatOnce(
  store: Store,
  workerId: string,
  slots: Slot[],
  config: Config,
  unclaimed: UnclaimedLeases,
  now: number,
): Promise<{ stopRequested: StopMode | null; registered: boolean }> {
  const beat = await store.workerHeartbeat({ id: workerId, now });
  const held = await store.leaseExtend({ workerId, leaseMs: leaseDurationMs(config), now });
  const heldTokens = new Set(held.map(leaseKey));
  const runningTokens = new Set<string>();
  for (const slot of slots) {
    const running = slot.running;
    if (!running) continue;
    runningTokens.add(leaseKey({ id: running.jobId, leaseToken: running.leaseToken }));
    if (!heldTokens.has(leaseKey({ id: running.jobId, leaseToken: running.leaseToken }))) {
      slot.worker.postMessage({ type: "lease-lost", ...running } satisfies ToSlot);
    }
  }
  await unclaimed.release(held.filter((lease) => !runningTokens.has(leaseKey(lease))), now);
  return { stopRequested: beat?.stopRequested ?? null, registered: beat !== undefined };
}

function leaseKey(lease: { id: string; leaseToken: number }): string {
  return `${lease.id}\n${lease.leaseToken}`;
}

/** How often a worker process looks for due cron schedules. */
const SCHEDULER_TICK_MS = 500;

/** How often, at most, a worker process applies the `retention` config. */
const PURGE_EVERY_MS = 60_000;

/** Deletes completed and canceled jobs older than the `retention` config. */
async function purgeExpired(store: Store, config: Config, now: number, log: Logger) {
  const purged = await store.jobPurge({
    states: ["completed", "canceled"],
    finishedBefore: now - config.retention * 1000,
  });
  if (purged > 0) {
    log.info(`Deleted ${purged} job(s) older than the retention of ${config.retention} s`);
  }
}

/** Tells each slot running a job a user canceled to stop it. */
async function relayCancelRequests(store: Store, workerId: string, slots: Slot[]): Promise<void> {
  const requests = await store.jobListCancelRequested({ workerId });
  for (const request of requests) {
    const slot = slots.find((slot) =>
      slot.running?.jobId === request.id && slot.running.leaseToken === request.leaseToken
    );
    slot?.worker.postMessage(
      { type: "cancel", jobId: request.id, leaseToken: request.leaseToken } satisfies ToSlot,
    );
  }
}

/** Records this process in the store, so others can see it alive and find its jobs. */
async function register(
  store: Store,
  workerId: string,
  options: SupervisorOptions,
  clock: Clock,
): Promise<void> {
  await store.workerRegister({
    id: workerId,
    host: options.host,
    pid: Deno.pid,
    pidStartTime: await processStartTime(Deno.pid),
    concurrency: options.count,
    startedAt: clock.now(),
    heartbeatAt: clock.now(),
    stopRequested: null,
  });
}

function randomSuffix(): string {
  return crypto.getRandomValues(new Uint8Array(2)).reduce(
    (text, byte) => text + byte.toString(16).padStart(2, "0"),
    "",
  );
}
