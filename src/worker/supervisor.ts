/**
 * The worker process's main thread: registers the process in the store, starts its worker
 * threads (Web Workers, each running some of the slots), heartbeats (renewing the leases of running jobs), runs the rescuer, relays wake-ups,
 * and turns SIGTERM/SIGINT or `worker stop` into a drain (first) or an immediate stop (second,
 * or `--now`).
 *
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { type Config, configFromOverrides, leaseDurationMs } from "../config.ts";
import { errorMessage, QueuectlError, StoreUnavailableError } from "../errors.ts";
import type { Logger, LogLevel } from "../log.ts";
import { openStore, type StopMode, type Store, type StoreLocation } from "../store/mod.ts";
import { Heartbeat } from "./heartbeat.ts";
import { type HeldLease, leaseKey } from "./unclaimed_leases.ts";
import type { FromSlot, ToSlot } from "./messages.ts";
import { processStartTime } from "./process_identity.ts";
import { survivingLostConnections } from "./lost_connections.ts";
import { SPARE_IDLE_HEARTBEATS, SpareThreads } from "./spare_threads.ts";
import { StoreOutage } from "./store_outage.ts";

/** What a worker process is asked to do. */
export interface SupervisorOptions {
  location: StoreLocation;
  /** How many jobs run at once (slots, spread over `threadCount(count)` Web Workers). */
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
  /**
   * Aborted: stop as a first SIGTERM does (drain: running jobs finish, no new ones); aborted with
   * the reason `"now"`, as a second one does (at once, running jobs back in the queue).
   */
  stop?: AbortSignal;
}

/** A worker thread (Web Worker) and the jobs its slots run now. */
interface Thread {
  worker: Worker;
  /** The slots it runs (numbered from 1). */
  slots: number[];
  /** By `leaseKey`. */
  running: Map<string, { jobId: string; leaseToken: number }>;
  /** Resolves when the thread has stopped: true when it ended by failing, not by being told. */
  exited: Promise<boolean>;
}

/** The most worker threads a process starts: job slots are cheap, threads ~12 MiB each. */
const MAX_THREADS = 4;

/**
 * How many Web Workers run `count` slots: one per core, at most `MAX_THREADS`. Threads only add
 * parallelism to queuectl's own work (spawning, SQLite); the jobs run in their own processes.
 * All but the first are spares, running only while there is work for them (spare_threads.ts).
 */
export function threadCount(count: number, cores = navigator.hardwareConcurrency): number {
  return Math.max(1, Math.min(count, cores || 1, MAX_THREADS));
}

/** Slot numbers (from 1) dealt round-robin over `threads` threads. */
export function slotsOfThreads(count: number, threads: number): number[][] {
  const dealt: number[][] = Array.from({ length: threads }, () => []);
  for (let slot = 1; slot <= count; slot++) dealt[(slot - 1) % threads].push(slot);
  return dealt;
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
  // From here on, the store unavailable (its disk full, its server away) is waited out, and
  // said once for the whole process (the heartbeat, the scheduler and every slot report here).
  const outage = new StoreOutage(log, () => clock.now());
  /** A store call of `source` failed: an outage is waited out, anything else logged as `what`. */
  const storeFailed = (source: string, what: string, error: unknown) => {
    if (error instanceof StoreUnavailableError) outage.failed(source, errorMessage(error));
    else log.error(`${what}: ${errorMessage(error)}`);
  };
  let stopping: StopMode | null = null;
  const threads: Thread[] = [];
  const dealt = slotsOfThreads(options.count, threadCount(options.count));
  // How many slots of each thread are idle, as the threads publish it (see IdleCounter), or
  // PARKED for a spare thread that is not running.
  const idleCounts = new SharedArrayBuffer(4 * dealt.length);
  const spares = new SpareThreads(new Int32Array(idleCounts));
  const broadcast = (message: ToSlot) =>
    threads.forEach((thread) => thread.worker.postMessage(message));
  // Resolved at the stop: a thread's pause before it starts again (after failing) ends with it.
  let resolveStopping = () => {};
  const processStopping = new Promise<void>((resolve) => resolveStopping = resolve);
  const stop = (mode: StopMode) => {
    if (stopping === "now" || stopping === mode) return;
    stopping = mode;
    resolveStopping();
    spares.stop();
    log.info(
      mode === "drain"
        ? "Stopping: taking no new jobs, letting running ones finish (signal again to stop at once)"
        : "Stopping now: running jobs are terminated and will run again",
    );
    broadcast({ type: mode === "drain" ? "drain" : "stop-now" });
  };
  /** Tells the thread running `lease` (if one still does) to stop it. */
  const tellRunning = (type: "lease-lost" | "cancel", lease: HeldLease) => {
    const key = leaseKey(lease);
    threads.find((thread) => thread.running.has(key))?.worker.postMessage(
      { type, jobId: lease.id, leaseToken: lease.leaseToken } satisfies ToSlot,
    );
  };
  // Claims each thread's slots made whose run-start has not been read here yet (see
  // `HeartbeatSlots.claimsPending`): a slot adds one, a run-start read here takes it back.
  const claimCounts = new Int32Array(new SharedArrayBuffer(4 * MAX_THREADS));
  const heartbeat = new Heartbeat({
    store,
    clock,
    workerId,
    config,
    slots: {
      running: () =>
        threads.flatMap((thread) =>
          [...thread.running.values()].map(({ jobId, leaseToken }) => ({ id: jobId, leaseToken }))
        ),
      claimsPending: () => claimCounts.some((count) => count > 0),
      configChanged: (reloaded) => {
        config = reloaded;
        broadcast({ type: "config", config });
      },
      leaseLost: (lease) => tellRunning("lease-lost", lease),
      cancel: (lease) => tellRunning("cancel", lease),
    },
    register: () => register(store, workerId, options, clock),
    stop,
    rescuer: { host: options.host, log: options.logger("rescuer") },
    log,
  });
  // Not fatal either: the heartbeat rescues again.
  await heartbeat.rescue().catch((error) => storeFailed("heartbeat", "Rescuer failed", error));

  // One lock for all threads' write transactions (see ThreadLock).
  const threadLock = new SharedArrayBuffer(4);
  const wakes = new IdleThreadWakes(threads, new Int32Array(idleCounts));
  const threadsEnded = dealt.map((slots, index) =>
    superviseThread(
      index,
      threads,
      () =>
        startThread(options, workerId, config, slots, outage, {
          threadLock,
          idleCounts,
          claimCounts,
          threadIndex: index,
          // No idle slot elsewhere: a parked spare takes the work, if there is one.
          onWakeOthers: () => wakes.wakeOne(index) || spares.startOne(),
          onStartThread: (parked) => spares.start(parked),
        }),
      {
        isStopping: () => stopping !== null,
        stopping: processStopping,
        log,
        outage,
        idle: wakes,
        claimCounts,
        spares,
      },
    )
  );
  // Set at the first signal, before its store lookup: a second one meanwhile stops at once too.
  let signalled = false;
  const onSignal = async () => {
    if (stopping || signalled) return stop("now");
    signalled = true;
    // `worker stop --now` records its wish in the store before it signals us.
    const beat = await store.workerHeartbeat({ id: workerId, now: clock.now() }).catch(() => null);
    stop(beat?.stopRequested === "now" ? "now" : "drain");
  };
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGTERM", "SIGINT"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const onStop = () => stop(options.stop?.reason === "now" ? "now" : "drain");
  if (options.stop?.aborted) onStop();
  options.stop?.addEventListener("abort", onStop, { once: true });
  // The scheduler's state (below), set here by wake-ups.
  let schedulesChanged = false;
  let nextPassAt = -Infinity;
  const unsubscribe = store.workSubscribe({
    onWork: () => {
      schedulesChanged = true;
      // One idle slot of the process looks, not one per thread; with none idle, a parked spare
      // thread starts, and every running thread keeps the wake-up for its next slot to finish (a
      // slot may be between its empty claim and its wait, where no count shows it).
      if (!wakes.wakeOne()) {
        spares.startOne();
        broadcast({ type: "wake", everyThread: true });
      }
      // A store away (a wake-up comes when PostgreSQL's LISTEN reconnects) is part of the outage
      // the process says once, not a line of its own.
      heartbeat.relayCancels().catch((error) =>
        storeFailed("heartbeat", "Cannot look for cancel requests", error)
      );
    },
  });
  options.onReady?.(workerId);

  const beat = async () => {
    try {
      await heartbeat.runOnce();
      outage.recovered("heartbeat");
    } catch (error) {
      storeFailed("heartbeat", "Heartbeat failed", error);
    }
    parkIdleSpares();
  };
  /** A spare idle at the last heartbeats drains, then waits parked (see superviseThread). */
  const parkIdleSpares = () => {
    if (stopping) return;
    const idleCountsView = new Int32Array(idleCounts);
    // Idle, and not the process's only idle slots: another thread, not being parked itself,
    // polls once it is parked (a job due by its run_at, a retry, announces itself to no one).
    const isIdle = (index: number) => {
      const thread = threads[index];
      return thread !== undefined && thread.running.size === 0 &&
        Atomics.load(claimCounts, index) === 0 &&
        Atomics.load(idleCountsView, index) === thread.slots.length &&
        idleCountsView.some((count, other) =>
          other !== index && count > 0 && !wakes.isDraining(other)
        );
    };
    for (const index of spares.idleAtBeat(isIdle)) {
      // Asked again once the ones before are draining: two spares idle at the same beat must not
      // each count on the other to poll.
      if (!isIdle(index)) continue;
      log.debug(
        `${
          threadName(threads[index])
        }: idle at ${SPARE_IDLE_HEARTBEATS} heartbeats in a row, stopping until every other slot is busy`,
      );
      // From now on no wake-up goes to it: it takes no new job.
      wakes.draining(index);
      threads[index].worker.postMessage({ type: "drain" } satisfies ToSlot);
    }
  };
  // Cron schedules: every process tries; the store lets one win each scheduled time. A tick
  // is a timer, not a query: the store is asked only when a schedule comes due (the last pass
  // said when), after a wake-up (a schedule added or resumed announces itself), after a failed
  // pass, or when the clock went back.
  const { runSchedulerPass } = await import("../schedule/scheduler.ts");
  let schedulerTimer: ReturnType<typeof setTimeout> | undefined;
  let lastPassAt = -Infinity;
  const scheduleTick = () => {
    schedulerTimer = setTimeout(async () => {
      const now = clock.now();
      if (schedulesChanged || now >= nextPassAt || now < lastPassAt) {
        schedulesChanged = false;
        lastPassAt = now;
        try {
          const pass = await runSchedulerPass(store, now, config);
          nextPassAt = pass.nextPassAt;
          log.debug(`Scheduler: next look at ${new Date(nextPassAt).toISOString()}`);
          for (const fired of pass.fired) {
            log.info(
              fired.jobId
                ? `Schedule "${fired.name}" enqueued job "${fired.jobId}"`
                : `Schedule "${fired.name}" skipped runs missed while no worker was up`,
            );
          }
          outage.recovered("scheduler");
        } catch (error) {
          nextPassAt = now;
          storeFailed("scheduler", "Scheduler failed", error);
        }
      }
      if (schedulerTimer !== undefined) scheduleTick();
    }, SCHEDULER_TICK_MS);
  };
  scheduleTick();
  // Scheduled one after another (never overlapping), at the interval in force each time.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const scheduleHeartbeat = () => {
    timer = setTimeout(async () => {
      await beat();
      if (timer !== undefined) scheduleHeartbeat();
    }, config.heartbeatInterval * 1000);
  };
  scheduleHeartbeat();
  // A failed thread leaves the others running: fewer jobs at once beats none. Once every thread
  // has ended, the process exits, with an error if any of them failed.
  const failures = (await Promise.all(threadsEnded)).filter(Boolean).length;
  clearTimeout(timer);
  timer = undefined;
  clearTimeout(schedulerTimer);
  schedulerTimer = undefined;
  unsubscribe();
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  options.stop?.removeEventListener("abort", onStop);
  try {
    await deregister(store, workerId, { config, clock, log, outage });
  } finally {
    // Whatever deregistering threw: the dashboard's process lives on after its workers.
    await store.close().catch((error) =>
      log.warn(`Cannot close the store cleanly: ${errorMessage(error)}`)
    );
    stopSurviving();
  }
  log.info(`Worker process ${workerId} stopped`);
  if (failures > 0) {
    throw new QueuectlError(
      `${failures} of ${threadsEnded.length} worker thread(s) failed: see the log above`,
    );
  }
}

/**
 * Wakes one idle slot of the process: the supervisor reads the idle counts the threads publish
 * and tells only a thread that has one, taking the threads in turn so the work spreads.
 */
export class IdleThreadWakes {
  #next = 0;
  /** Threads told to drain alone (spares being parked): they take no new job. */
  readonly #draining = new Set<number>();

  constructor(readonly threads: readonly { worker: Worker }[], readonly counts: Int32Array) {}

  /** Wakes an idle slot of a thread other than `except`; false when none is idle. */
  wakeOne(except?: number): boolean {
    const total = this.counts.length;
    for (let step = 0; step < total; step++) {
      const index = (this.#next + step) % total;
      // 0: no idle slot; PARKED (-1): the thread is not running.
      if (index === except || Atomics.load(this.counts, index) <= 0) continue;
      if (this.#draining.has(index)) continue;
      const thread = this.threads[index];
      if (!thread) continue;
      this.#next = (index + 1) % total;
      thread.worker.postMessage({ type: "wake" } satisfies ToSlot);
      return true;
    }
    return false;
  }

  /** Thread `index` drains alone (a spare being parked): no wake-up goes to it any more. */
  draining(index: number): void {
    this.#draining.add(index);
  }

  /** Whether thread `index` is draining alone (until it has ended: `forget`). */
  isDraining(index: number): boolean {
    return this.#draining.has(index);
  }

  /** A thread that ended has no idle slot (a replacement publishes its own). */
  forget(index: number): void {
    Atomics.store(this.counts, index, 0);
    this.#draining.delete(index);
  }
}

/**
 * Keeps thread `index` running: a thread that crashed or failed (its store unreachable when it
 * started, say) is replaced after a pause that grows to 30 s, until the process stops. Its
 * running jobs are forgotten, so the heartbeat stops renewing their leases and `UnclaimedLeases`
 * gives them back. Resolves once the thread has ended for good: true if it ended by failing.
 */
export async function superviseThread(
  index: number,
  threads: Thread[],
  start: () => Thread,
  options: {
    isStopping: () => boolean;
    /** Resolves when the process stops. */
    stopping: Promise<void>;
    log: Logger;
    outage: StoreOutage;
    idle: IdleThreadWakes;
    claimCounts: Int32Array;
    spares: SpareThreads;
  },
): Promise<boolean> {
  // A spare (every thread but the first) starts parked, and parks again after each idle spell.
  if (index > 0 && !(await options.spares.parked(index))) return false;
  let unparked = index > 0;
  let pauseMs = 1_000;
  for (;;) {
    // Checked with no await between it and the start: a stop broadcast before the thread is in
    // `threads` would miss it, and the process would wait forever for a thread never told to
    // drain. (Each await, even of a settled promise, lets a signal's handler run in between.)
    if (options.isStopping()) return false;
    const thread = start();
    threads[index] = thread;
    if (unparked) options.log.debug(`${threadName(thread)} started: no other slot was idle`);
    const failed = await thread.exited;
    thread.running.clear();
    options.idle.forget(index);
    // Its pending claims died with it: their leases are unclaimed, to be given back.
    Atomics.store(options.claimCounts, index, 0);
    // Its slots report nothing any more: an outage they were waiting out is not theirs to end.
    for (const slot of thread.slots) options.outage.forget(slotSource(slot));
    if (options.isStopping()) return failed;
    unparked = !failed;
    if (!failed) {
      // Drained while the process goes on: a spare after an idle spell (see parkIdleSpares).
      // The first thread never is, and ends unfailed only with the process. An idle slot of
      // another thread looks for what the drain may have left (a wake-up that came meanwhile,
      // a claim given back unstarted) and polls from now on; with none idle, this one starts
      // again at once instead of parking.
      if (index > 0 && !options.idle.wakeOne()) {
        options.log.debug(`${threadName(thread)}: no other slot is idle, starting again`);
        continue;
      }
      if (!(await options.spares.parked(index))) return false;
      pauseMs = 1_000;
      continue;
    }
    // Until it is back, a parked spare (if any) takes work and polls in its place.
    options.spares.startOne();
    options.log.warn(`${threadName(thread)} starts again in ${pauseMs / 1000} s`);
    // Cut short by a stop: a process whose store is away would otherwise take up to 30 s to exit.
    let pause: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise((resolve) => pause = setTimeout(resolve, pauseMs)),
      options.stopping,
    ]);
    clearTimeout(pause);
    pauseMs = Math.min(pauseMs * 2, 30_000);
  }
}

/** "Worker 3", or "Workers 1, 3" for a thread running several slots. */
function threadName(thread: Thread): string {
  return `Worker${thread.slots.length > 1 ? "s" : ""} ${thread.slots.join(", ")}`;
}

/** The name a slot's store failures are tracked under. */
function slotSource(slot: number): string {
  return `worker ${slot}`;
}

/** What a thread shares with the others, and how it asks for a sibling thread to be woken. */
interface ThreadSharing {
  threadLock: SharedArrayBuffer;
  idleCounts: SharedArrayBuffer;
  claimCounts: Int32Array;
  threadIndex: number;
  onWakeOthers: () => void;
  onStartThread: (threadIndex: number) => void;
}

function startThread(
  options: SupervisorOptions,
  workerId: string,
  config: Config,
  slots: number[],
  outage: StoreOutage,
  sharing: ThreadSharing,
): Thread {
  const log = options.logger("supervisor");
  const worker = new Worker(new URL("./web_worker.ts", import.meta.url).href, {
    type: "module",
  });
  const thread: Thread = { worker, slots, running: new Map(), exited: Promise.resolve(false) };
  thread.exited = new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<FromSlot>) => {
      const message = event.data;
      if (message.type === "run-start") {
        thread.running.set(leaseKey({ id: message.jobId, leaseToken: message.leaseToken }), {
          jobId: message.jobId,
          leaseToken: message.leaseToken,
        });
        // Now among the runs: no longer pending (the slot counted it before claiming).
        Atomics.sub(sharing.claimCounts, sharing.threadIndex, 1);
      }
      if (message.type === "run-end") {
        thread.running.delete(leaseKey({ id: message.jobId, leaseToken: message.leaseToken }));
      }
      if (message.type === "wake-others") sharing.onWakeOthers();
      if (message.type === "start-thread") sharing.onStartThread(message.threadIndex);
      if (message.type === "store-failed") outage.failed(slotSource(message.slot), message.message);
      if (message.type === "store-answered") outage.recovered(slotSource(message.slot));
      if (message.type === "failed") {
        log.error(`${threadName(thread)} failed: ${message.message}`);
      }
      if (message.type === "exited" || message.type === "failed") {
        worker.terminate();
        resolve(message.type === "failed");
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      log.error(`${threadName(thread)} crashed: ${event.message}`);
      worker.terminate();
      resolve(true);
    };
  });
  worker.postMessage(
    {
      type: "start",
      location: options.location,
      workerId,
      slots,
      queues: options.queues,
      config,
      logLevel: options.logLevel,
      logFile: options.logFile,
      threadLock: sharing.threadLock,
      idleCounts: sharing.idleCounts,
      claimCounts: sharing.claimCounts.buffer as SharedArrayBuffer,
      threadIndex: sharing.threadIndex,
    } satisfies ToSlot,
  );
  return thread;
}

/** How often a worker process checks whether a scheduler pass is due (no query unless it is). */
const SCHEDULER_TICK_MS = 500;

/**
 * Removes this process from the store as it stops. A store that is unavailable (its disk full)
 * is tried again for at most one lease (heartbeat_interval × lease_heartbeats, 15 s by
 * default): by then every other process takes this one for dead anyway. Then it gives up and
 * the process stops all the same, its row left behind for the rescuer, which forgets it (on this
 * host at once, since the process is gone; elsewhere after two leases of silence) once the jobs
 * it may still hold (after `--now`, their finish unrecorded) are rescued. Other errors are bugs,
 * and thrown.
 */
async function deregister(
  store: Store,
  workerId: string,
  context: { config: Config; clock: Clock; log: Logger; outage: StoreOutage },
): Promise<void> {
  const { clock, log, outage } = context;
  const started = clock.now();
  const deadline = started + leaseDurationMs(context.config);
  for (let delayMs = 100;; delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      await store.workerDeregister({ id: workerId });
      outage.recovered("deregistration");
      return;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      outage.failed("deregistration", errorMessage(error));
      if (clock.now() + delayMs > deadline) {
        log.warn(
          `Stopping without removing worker process ${workerId} from the store (tried for ${
            Math.round((clock.now() - started) / 1000)
          } s): the rescuer forgets it, and runs again any job it still held`,
        );
        return;
      }
      await clock.sleep(delayMs);
    }
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
