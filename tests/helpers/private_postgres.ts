/**
 * A PostgreSQL server of a test's own, for tests that stop and restart the server: made with
 * `initdb` in a temporary directory and run with `pg_ctl` on a free port, so that taking it down
 * disturbs no other test (the shared test server of `postgres.ts` serves every other PostgreSQL
 * test of the run, in parallel, and other people's runs). Trust authentication, user `postgres`,
 * `fsync=off` (a test's data need not survive a power cut, only a server stop).
 *
 * The server's programs are found with `pg_config --bindir`, else on the PATH. As root (CI),
 * they run as the `postgres` user (`runuser`), since PostgreSQL refuses to run as root.
 *
 * @module
 */
import { join } from "node:path";
import postgres from "postgres";

/** A running (or stopped, between `stop` and `start`) private server. */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  url: string;
  /** The server's log file (its `pg_ctl -l`). */
  logFile: string;
  /** Stops the server (fast mode: sessions are ended) and waits until it is down. */
  stop(): Promise<void>;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl restart` (fast mode), as an operator restarts a server. */
  restart(): Promise<void>;
  /** Runs one query (a new connection each time, so it works across restarts). */
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Stops the server if it runs and removes its directory. */
  destroy(): Promise<void>;
}

/** Where `initdb` and `pg_ctl` are, or undefined when this machine has none. */
export const POSTGRES_BIN_DIR: string | undefined = await findBinDir();

async function findBinDir(): Promise<string | undefined> {
  if (Deno.build.os === "windows") return undefined;
  const candidates: string[] = [];
  try {
    const output = await new Deno.Command("pg_config", {
      args: ["--bindir"],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (output.success) candidates.push(new TextDecoder().decode(output.stdout).trim());
  } catch {
    // No pg_config.
  }
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    try {
      await Deno.stat(join(dir, "initdb"));
      await Deno.stat(join(dir, "pg_ctl"));
      return dir;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Whether this process runs as root (then the server runs as `postgres`). */
function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Runs a server program (as `postgres` when we are root); fails with its output. */
async function runServerProgram(program: string, args: string[]): Promise<void> {
  const path = join(POSTGRES_BIN_DIR!, program);
  const command = isRoot()
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", path, ...args], stdin: "null" })
    : new Deno.Command(path, { args, stdin: "null" });
  const output = await command.output();
  if (!output.success) {
    const decoder = new TextDecoder();
    throw new Error(
      `${program} ${args.join(" ")} exited ${output.code}:\n${decoder.decode(output.stdout)}${
        decoder.decode(output.stderr)
      }`,
    );
  }
}

/** A TCP port nobody listens on now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Makes and starts a private server; fails when `POSTGRES_BIN_DIR` is undefined. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  if (POSTGRES_BIN_DIR === undefined) throw new Error("No initdb and pg_ctl on this machine");
  const dir = await Deno.makeTempDir({ prefix: "queuectl-pg-" });
  if (isRoot()) {
    const owner = await new Deno.Command("chown", { args: ["postgres", dir] }).output();
    if (!owner.success) throw new Error(`chown postgres ${dir} failed`);
  }
  const data = join(dir, "data");
  const logFile = join(dir, "server.log");
  await runServerProgram("initdb", [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c max_connections=200",
  ].join(" ");
  const pgCtl = (action: string, extra: string[] = []) =>
    runServerProgram("pg_ctl", [action, "-D", data, "-w", "-t", "60", ...extra]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = false;
  const server: PrivatePostgres = {
    url,
    logFile,
    async start() {
      await pgCtl("start", ["-o", options, "-l", logFile]);
      running = true;
    },
    async stop() {
      await pgCtl("stop", ["-m", "fast"]);
      running = false;
    },
    async restart() {
      // -l again: without it the new server would log to (and hold open) pg_ctl's stdout.
      await pgCtl("restart", ["-m", "fast", "-o", options, "-l", logFile]);
      running = true;
    },
    async query(text, params = []) {
      const sql = postgres(url, { max: 1, onnotice: () => {}, idle_timeout: 1 });
      try {
        return [...await sql.unsafe(text, params as never[])];
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
    async destroy() {
      if (running) await server.stop().catch(() => {});
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    await server.start();
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return server;
}
