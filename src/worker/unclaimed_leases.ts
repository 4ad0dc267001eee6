/**
 * Leases this worker process holds in the store on jobs none of its slots runs. That happens
 * when a claim committed but its answer was lost with the connection (the slot never learned of
 * the job), or when a slot crashed: the heartbeat would renew the lease forever. A lease seen
 * unclaimed at two heartbeats at which no slot had a claim pending (claimed, its run-start not
 * yet seen) is given back: its command is stopped if it still runs, and the job released to run
 * again with the attempt refunded, since the run was not the job's fault.
 *
 * Why pending claims matter: a fresh claim usually reaches its slot within milliseconds, but a
 * loaded machine can hold a thread for seconds between the claim's commit and its run-start.
 * Taking such a lease for unclaimed released the job while the slot went on to start it: the
 * job was claimed again and ran twice at once (seen at load 20 in `orphan_window_test.ts`).
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { releasedRun } from "../finish_rules.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";

/** A held lease: the job and the token of its claim. */
export interface HeldLease {
  id: string;
  leaseToken: number;
}

/** One string per run: a job and the token of its claim. */
export function leaseKey(lease: HeldLease): string {
  return `${lease.id}\n${lease.leaseToken}`;
}

/** Finds and releases leases no slot runs; call `release` at every heartbeat. */
export class UnclaimedLeases {
  readonly #store: Store;
  readonly #log: { warn(message: string): void };
  readonly #stopProcess: (job: Job) => Promise<void>;
  #seenBefore = new Set<string>();

  constructor(
    store: Store,
    options: {
      log: { warn(message: string): void };
      /** Stops the job's command if it still runs (a crashed slot's). */
      stopProcess: (job: Job) => Promise<void>;
    },
  ) {
    this.#store = store;
    this.#log = options.log;
    this.#stopProcess = options.stopProcess;
  }

  /**
   * Releases the leases of `unclaimed` that were unclaimed at the previous heartbeat that
   * counted too. A heartbeat at which a slot had a claim pending does not count: any of
   * `unclaimed` may be that claim's.
   */
  async release(
    unclaimed: HeldLease[],
    now: number,
    options: { claimsPending?: boolean } = {},
  ): Promise<void> {
    if (options.claimsPending) return;
    const seen = new Set<string>();
    for (const lease of unclaimed) {
      const key = leaseKey(lease);
      if (!this.#seenBefore.has(key)) {
        seen.add(key);
        continue;
      }
      try {
        await this.#releaseOne(lease, now);
      } catch (error) {
        seen.add(key); // Try again at the next heartbeat.
        this.#log.warn(`Cannot release job "${lease.id}": ${errorMessage(error)}`);
      }
    }
    this.#seenBefore = seen;
  }

  async #releaseOne(lease: HeldLease, now: number): Promise<void> {
    const job = await this.#store.jobGet({ id: lease.id });
    if (!job || job.state !== "processing" || job.leaseToken !== lease.leaseToken) return;
    await this.#stopProcess(job);
    const released = await this.#store.jobFinish({
      id: lease.id,
      leaseToken: lease.leaseToken,
      now,
      ...releasedRun(job, now),
      exitCode: null,
      error: "Held by this worker process, but by none of its slots (a lost connection or a " +
        "crashed slot); it will run again",
      stdout: new Uint8Array(),
      stderr: new Uint8Array(),
      stdoutBytes: 0,
      stderrBytes: 0,
    });
    if (released) {
      this.#log.warn(
        `Released job "${lease.id}": none of this process's workers runs it (a lost connection or a crashed worker)`,
      );
    }
  }
}
