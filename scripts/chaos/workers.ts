/**
 * The chaos soak's worker processes, each logging to a file of its own, and the faults done to
 * them: kill -9 (a new process takes the place), SIGSTOP then SIGCONT, a graceful restart
 * (SIGTERM, which must end in exit 0, and a new process at once), and on PostgreSQL the
 * termination of every backend of the soak's schema.
 *
 * @module
 */
import { join } from "node:path";
import postgres from "postgres";
import { cliEnvironment, MAIN } from "../../tests/helpers/cli.ts";
import type { Random } from "./jobs.ts";

/** One `worker start` process. */
export interface ChaosWorker {
  name: string;
  pid: number;
  child: Deno.ChildProcess;
  logFile: string;
  /** Resolves with the exit code once it has exited and its log is written. */
  exited: Promise<number>;
  state: "running" | "stopped" | "draining" | "killed" | "exited";
}

/** The kinds of fault. */
export type FaultKind = "kill9" | "stop" | "restart" | "backends";

/** What one fault did, for the summary and the log. */
export interface Fault {
  kind: FaultKind;
  at: number;
  what: string;
  /** SIGSTOP only: how long the process stayed stopped, in ms. */
  stoppedMs?: number;
}

/** The worker processes, `count` of them running at any time, and the faults done to them. */
export class WorkerPool {
  readonly all: ChaosWorker[] = [];
  readonly faults: Fault[] = [];
  /** Problems seen on the way (a graceful stop that did not exit 0). */
  readonly problems: string[] = [];
  readonly #slots: ChaosWorker[] = [];
  readonly #pending: Promise<unknown>[] = [];
  readonly #env: Record<string, string>;
  readonly #logDir: string;
  readonly #args: string[];
  #started = 0;

  constructor(options: { env: Record<string, string>; logDir: string; args: string[] }) {
    this.#env = options.env;
    this.#logDir = options.logDir;
    this.#args = options.args;
  }

  /** Starts `count` workers. */
  async start(count: number): Promise<void> {
    await Deno.mkdir(this.#logDir, { recursive: true });
    for (let index = 0; index < count; index++) this.#slots.push(await this.#spawn());
  }

  /** The running (not stopped, not draining) workers. */
  running(): ChaosWorker[] {
    return this.#slots.filter((worker) => worker.state === "running");
  }

  async #spawn(): Promise<ChaosWorker> {
    const name = `w${++this.#started}`;
    const logFile = join(this.#logDir, `${name}.log`);
    const log = await Deno.open(logFile, { write: true, create: true, truncate: true });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "worker", "start", ...this.#args],
      env: cliEnvironment(this.#env),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const written = child.stderr.pipeTo(log.writable).catch(() => {});
    const worker: ChaosWorker = {
      name,
      pid: child.pid,
      child,
      logFile,
      exited: Promise.resolve(0),
      state: "running",
    };
    worker.exited = child.status.then(async (status) => {
      await written;
      // Only a stop asked for (SIGTERM) or a kill -9 may end a worker.
      if (worker.state === "running" || worker.state === "stopped") {
        this.problems.push(`${name} (pid ${child.pid}) exited ${status.code} on its own`);
      }
      if (worker.state !== "killed") worker.state = "exited";
      return status.code;
    });
    this.all.push(worker);
    return worker;
  }

  /** Puts a new worker in the place of `old` among the running ones. */
  async #replace(old: ChaosWorker): Promise<ChaosWorker> {
    const fresh = await this.#spawn();
    this.#slots[this.#slots.indexOf(old)] = fresh;
    return fresh;
  }

  /** kill -9 of a running worker; a new one takes its place at once. */
  async kill9(random: Random): Promise<Fault | undefined> {
    const victim = this.#pickRunning(random);
    if (!victim) return undefined;
    victim.state = "killed";
    victim.child.kill("SIGKILL");
    await victim.exited;
    const fresh = await this.#replace(victim);
    return this.#record({
      kind: "kill9",
      at: Date.now(),
      what: `kill -9 ${victim.name} (pid ${victim.pid}); ${fresh.name} started`,
    });
  }

  /** SIGSTOP of a running worker for `ms`, then SIGCONT (in the background). */
  stop(random: Random, ms: number): Fault | undefined {
    const victim = this.#pickRunning(random);
    if (!victim) return undefined;
    victim.state = "stopped";
    victim.child.kill("SIGSTOP");
    this.#pending.push(
      new Promise((resolve) => setTimeout(resolve, ms)).then(() => {
        if (victim.state === "stopped") {
          victim.child.kill("SIGCONT");
          victim.state = "running";
        }
      }),
    );
    return this.#record({
      kind: "stop",
      at: Date.now(),
      what: `SIGSTOP ${victim.name} (pid ${victim.pid}) for ${ms} ms`,
      stoppedMs: ms,
    });
  }

  /** SIGTERM of a running worker (it drains, then must exit 0); a new one starts at once. */
  async restart(random: Random): Promise<Fault | undefined> {
    const victim = this.#pickRunning(random);
    if (!victim) return undefined;
    victim.state = "draining";
    victim.child.kill("SIGTERM");
    this.#pending.push(victim.exited.then((code) => {
      if (code !== 0) this.problems.push(`${victim.name} exited ${code} after SIGTERM`);
    }));
    const fresh = await this.#replace(victim);
    return this.#record({
      kind: "restart",
      at: Date.now(),
      what: `SIGTERM ${victim.name} (pid ${victim.pid}); ${fresh.name} started`,
    });
  }

  /** Terminates every PostgreSQL backend of the soak's schema (workers' and enqueuers'). */
  async terminateBackends(serverUrl: string, schema: string): Promise<Fault> {
    const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql.unsafe(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
         WHERE application_name = $1 AND pid <> pg_backend_pid()`,
        [`queuectl:${schema}`],
      );
      const count = rows.filter((row) => row.done === true).length;
      return this.#record({
        kind: "backends",
        at: Date.now(),
        what: `pg_terminate_backend of ${count} connection(s)`,
      });
    } finally {
      await sql.end({ timeout: 1 });
    }
  }

  #pickRunning(random: Random): ChaosWorker | undefined {
    const running = this.running();
    return running.length === 0 ? undefined : random.pick(running);
  }

  #record(fault: Fault): Fault {
    this.faults.push(fault);
    return fault;
  }

  /** Waits for every SIGCONT due and every draining worker's exit. */
  async settle(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /** SIGTERMs every worker still running; those that do not exit 0 within `ms` are problems. */
  async stopAll(ms: number): Promise<void> {
    await this.settle();
    const live = this.all.filter((worker) => worker.state === "running");
    for (const worker of live) {
      worker.state = "draining";
      worker.child.kill("SIGTERM");
    }
    await Promise.all(live.map(async (worker) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([
        worker.exited,
        new Promise<"hung">((resolve) => timer = setTimeout(() => resolve("hung"), ms)),
      ]);
      clearTimeout(timer);
      if (code !== 0) this.problems.push(`${worker.name} on the final SIGTERM: ${code}`);
    }));
  }

  /** Kills whatever still runs (after a failure). */
  async killAll(): Promise<void> {
    for (const worker of this.all) {
      if (worker.state === "exited" || worker.state === "killed") continue;
      worker.state = "killed";
      try {
        worker.child.kill("SIGKILL");
      } catch {
        // Gone.
      }
    }
    await Promise.all(this.all.map((worker) => worker.exited.catch(() => 0)));
  }
}
