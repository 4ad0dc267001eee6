/**
 * `queuectl worker start` processes with any environment (not only a sandbox's), their logs read
 * as they come so their pipes never fill: for tests that run workers against a server of their
 * own, and for the chaos soak.
 *
 * @module
 */
import { cliEnvironment, MAIN } from "./cli.ts";

/** A running `worker start` process. */
export interface WorkerProcess {
  /** A name for messages. */
  name: string;
  child: Deno.ChildProcess;
  pid: number;
  /** Everything it logged (stderr) so far. */
  log(): string;
  /** The exit code, once it has exited and its log is read. */
  exited: Promise<number>;
  /** True once it has exited. */
  done: boolean;
}

/** Starts `queuectl worker start ARGS` with exactly `env` (plus PATH, HOME and Deno's own). */
export function spawnWorkerProcess(
  name: string,
  args: string[],
  env: Record<string, string>,
): WorkerProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "worker", "start", ...args],
    env: cliEnvironment(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const drained = Promise.all([
    (async () => {
      for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
    })().catch(() => {}),
    child.stdout.pipeTo(new WritableStream()).catch(() => {}),
  ]);
  const worker: WorkerProcess = {
    name,
    child,
    pid: child.pid,
    log: () => text,
    exited: Promise.resolve(0),
    done: false,
  };
  worker.exited = child.status.then(async (status) => {
    worker.done = true;
    await drained;
    return status.code;
  });
  return worker;
}

/** Sends `signal` to the worker process unless it has exited. */
export function signalWorker(worker: WorkerProcess, signal: Deno.Signal): void {
  if (worker.done) return;
  try {
    worker.child.kill(signal);
  } catch {
    // Exited meanwhile.
  }
}

/** Kills every worker still running (after a SIGCONT, in case one is stopped) and waits. */
export async function killWorkers(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) {
    signalWorker(worker, "SIGKILL");
    signalWorker(worker, "SIGCONT");
  }
  await Promise.all(workers.map((worker) => worker.exited.catch(() => 0)));
}
