/**
 * The worker process's heartbeat, one beat per `runOnce()` (the supervisor's loop only schedules
 * it): reloads the config, proves the process alive and renews the leases of its running jobs,
 * registers the process again if it was forgotten, relays cancel requests, rescues lost jobs,
 * gives back leases no slot runs, and applies the `retention` config when due.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { type Config, configFromOverrides, leaseDurationMs } from "../config.ts";
import { errorMessage, StoreUnavailableError } from "../errors.ts";
import type { Job } from "../job.ts";
import type { StopMode, Store } from "../store/mod.ts";
import type { RunnerLog } from "./job_runner.ts";
import { killOrphan, rescueOnce } from "./rescuer.ts";
import { type HeldLease as JobLease, leaseKey, UnclaimedLeases } from "./unclaimed_leases.ts";

/** The process's slots, as the heartbeat sees them (the supervisor's threads). */
export interface HeartbeatSlots {
  /** The runs the slots have now: run-start seen, run-end not yet. Read as the beat needs it. */
  running(): JobLease[];
  /**
   * Whether a slot has claimed (or is claiming) a job whose run-start is not seen yet: then a
   * lease held but not running may be that claim's, on its way to its slot (which a loaded
   * machine can delay for seconds), and nothing is taken for unclaimed.
   */
  claimsPending(): boolean;
  /** The config was reloaded: the slots take it. */
  configChanged(config: Config): void;
  /** The lease of a run was lost (the job was rescued elsewhere): its slot stops it. */
  leaseLost(lease: JobLease): void;
  /** A user canceled the job of a run: its slot stops it. */
  cancel(lease: JobLease): void;
}

/** What a heartbeat needs. */
export interface HeartbeatOptions {
  store: Store;
  clock: Clock;
  /** This process's id in the store. */
  workerId: string;
  /** The config in force until the first beat reloads it (the one the slots started with). */
  config: Config;
  slots: HeartbeatSlots;
  /** Records this process in the store again: its row vanished. */
  register(): Promise<void>;
  /** A stop of this process was requested (`worker stop`). */
  stop(mode: StopMode): void;
  /** This host's id and the rescuer's log, for `rescueOnce`. */
  rescuer: { host: string; log: RunnerLog };
  /** Purges, released leases, failed cancel lookups. */
  log: { info(message: string): void; warn(message: string): void; error(message: string): void };
  /** Stops what still runs of a job no slot runs, before it is released; default `killOrphan`. */
  stopProcess?(job: Job, config: Config): Promise<unknown>;
}

/** What one beat did. */
export interface HeartbeatResult {
  /** The stop requested of this process, if any. */
  stopRequested: StopMode | null;
  /** Whether the process's row had vanished, so it was registered again. */
  reregistered: boolean;
  /** The runs told their lease was lost. */
  lost: JobLease[];
  /** The ids of the jobs the rescuer brought back. */
  rescued: string[];
  /** How many jobs the retention purge deleted, or null when no purge was due. */
  purged: number | null;
}

/** How often, at most, a worker process applies the `retention` config. */
export const PURGE_EVERY_MS = 60_000;

/**
 * A worker process's heartbeat. Call `runOnce()` every `heartbeat_interval`; it throws what the
 * store throws (the caller logs it, or waits out an outage) and the next beat tries again.
 *
 * @example
 * ```ts ignore
 * const heartbeat = new Heartbeat({ store, clock, workerId, config, slots, register, stop, rescuer, log });
 * const { stopRequested } = await heartbeat.runOnce();
 * ```
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #unclaimed: UnclaimedLeases;
  #config: Config;
  #lastPurge = 0;
  #lastRetention: number;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#config = options.config;
    this.#lastRetention = options.config.retention;
    const stopProcess = options.stopProcess ?? killOrphan;
    this.#unclaimed = new UnclaimedLeases(options.store, {
      log: options.log,
      // The job of a crashed slot may still be running here: stop it before it runs again.
      stopProcess: async (job) => void await stopProcess(job, this.#config),
    });
  }

  /** The config as of the last beat. */
  get config(): Config {
    return this.#config;
  }

  /** One beat, as of the clock's now. */
  async runOnce(): Promise<HeartbeatResult> {
    const { store, clock, slots } = this.#options;
    this.#config = configFromOverrides(await store.configOverrides());
    slots.configChanged(this.#config);
    const beat = await this.#renewLeases(clock.now());
    if (beat.stopRequested) this.#options.stop(beat.stopRequested);
    // Silent so long that we were taken for dead and forgotten: register again.
    const reregistered = !beat.registered;
    if (reregistered) await this.#options.register();
    await this.relayCancels().catch((error) => {
      // The store away: the beat fails, and the process says the outage once.
      if (error instanceof StoreUnavailableError) throw error;
      this.#options.log.error(`Cannot look for cancel requests: ${errorMessage(error)}`);
    });
    const rescued = await this.rescue();
    // Once a minute, and at once when the setting changes (so trying it out shows it works).
    const retentionChanged = this.#config.retention !== this.#lastRetention;
    this.#lastRetention = this.#config.retention;
    let purged: number | null = null;
    if (
      this.#config.retention > 0 &&
      (retentionChanged || clock.now() - this.#lastPurge >= PURGE_EVERY_MS)
    ) {
      this.#lastPurge = clock.now();
      purged = await this.#purgeExpired(clock.now());
    }
    return { stopRequested: beat.stopRequested, reregistered, lost: beat.lost, rescued, purged };
  }

  /** Rescues what is lost as of now (`rescueOnce`, with the config of the last beat). */
  rescue(): Promise<string[]> {
    const { store, clock, rescuer } = this.#options;
    return rescueOnce(
      { store, host: rescuer.host, config: this.#config, log: rescuer.log },
      clock.now(),
    );
  }

  /** Tells the slot of each run whose job a user canceled to stop it. */
  async relayCancels(): Promise<void> {
    const { store, workerId, slots } = this.#options;
    const requests = await store.jobListCancelRequested({ workerId });
    const running = new Set(slots.running().map(leaseKey));
    for (const request of requests) {
      if (running.has(leaseKey(request))) slots.cancel(request);
    }
  }

  /**
   * Proves the process alive and renews its leases. A run whose lease was not renewed was
   * rescued elsewhere: its slot is told to stop it. A lease no slot runs is given back.
   */
  async #renewLeases(
    now: number,
  ): Promise<{ stopRequested: StopMode | null; registered: boolean; lost: JobLease[] }> {
    const { store, workerId, slots } = this.#options;
    // Jobs claimed while the renewal is under way show up in `running` without being in `held`:
    // only those running before it started can have lost their lease.
    const runningBefore = new Set(slots.running().map(leaseKey));
    const beat = await store.workerHeartbeat({ id: workerId, now });
    const held = await store.leaseExtend({
      workerId,
      leaseMs: leaseDurationMs(this.#config),
      now,
    });
    const heldKeys = new Set(held.map(leaseKey));
    // Read together (no await between): a claim is either among the runs or still pending.
    const runningNow = slots.running();
    const claimsPending = slots.claimsPending();
    const runningKeys = new Set(runningNow.map(leaseKey));
    const lost = runningNow.filter((lease) =>
      runningBefore.has(leaseKey(lease)) && !heldKeys.has(leaseKey(lease))
    );
    for (const lease of lost) slots.leaseLost(lease);
    // And a claim whose run-start arrives during the renewal is not unclaimed.
    await this.#unclaimed.release(
      held.filter((lease) => !runningKeys.has(leaseKey(lease))),
      now,
      { claimsPending },
    );
    return { stopRequested: beat?.stopRequested ?? null, registered: beat !== undefined, lost };
  }

  /** Deletes completed and canceled jobs older than the `retention` config. */
  async #purgeExpired(now: number): Promise<number> {
    const { retention } = this.#config;
    const purged = await this.#options.store.jobPurge({
      states: ["completed", "canceled"],
      finishedBefore: now - retention * 1000,
    });
    if (purged > 0) {
      this.#options.log.info(`Deleted ${purged} job(s) older than the retention of ${retention} s`);
    }
    return purged;
  }
}
