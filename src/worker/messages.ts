/** The messages between the supervisor (main thread) and its Web Workers (worker threads). */
import type { Config } from "../config.ts";
import type { LogLevel } from "../log.ts";
import type { StoreLocation } from "../store/mod.ts";

/** Supervisor → slot. */
export type ToSlot =
  | {
    type: "start";
    location: StoreLocation;
    workerId: string;
    /** The slots this thread runs (numbered from 1 across the process, for the log). */
    slots: number[];
    /** The queues to serve; all when not given. */
    queues?: string[];
    config: Config;
    logLevel: LogLevel;
    logFile?: string;
    /** The process's `ThreadLock` memory, shared by its slots. */
    threadLock: SharedArrayBuffer;
    /** One Int32 per thread of the process: how many of its slots are idle (`IdleCounter`). */
    idleCounts: SharedArrayBuffer;
    /**
     * One Int32 per thread: its claims whose job the supervisor has not heard of yet. A slot adds
     * one before it claims and takes it back if no run-start follows; the supervisor takes it
     * back when it reads the run-start (see `HeartbeatSlots.claimsPending`).
     */
    claimCounts: SharedArrayBuffer;
    /** This thread's cell in `idleCounts` and `claimCounts`. */
    threadIndex: number;
  }
  /**
   * New work may be there: an idle slot looks now (only the thread told: see `wake-others`).
   * `everyThread`: sent to every running thread because none had an idle slot (the supervisor
   * started a parked spare if there was one): each keeps it for its next free slot.
   */
  | { type: "wake"; everyThread?: boolean }
  /** The config changed. */
  | { type: "config"; config: Config }
  /** Take no new job; exit after the running ones. */
  | { type: "drain" }
  /** Stop the running jobs now (they go back for retry) and exit. */
  | { type: "stop-now" }
  /** This job's lease was lost: stop running it, its result would be fenced off anyway. */
  | { type: "lease-lost"; jobId: string; leaseToken: number }
  /** A user canceled this running job: stop it. */
  | { type: "cancel"; jobId: string; leaseToken: number };

/** Slot → supervisor. */
export type FromSlot =
  | { type: "run-start"; jobId: string; leaseToken: number }
  | { type: "run-end"; jobId: string; leaseToken: number }
  | { type: "exited" }
  /**
   * More work may be due than this thread's idle slots can take (it has none): the supervisor
   * wakes another thread that has an idle slot.
   */
  | { type: "wake-others" }
  /**
   * No slot of the process is idle and work may be due: start spare thread `threadIndex`, whose
   * idle-count cell this thread took from `PARKED` (see spare_threads.ts).
   */
  | { type: "start-thread"; threadIndex: number }
  | { type: "failed"; message: string }
  /** This slot cannot use the store (`message` says why): it waits and tries again. */
  | { type: "store-failed"; slot: number; message: string }
  /** This slot used the store again after `store-failed`. */
  | { type: "store-answered"; slot: number };
