/**
 * Bad input, table-driven: every case runs one wrong command line against a database that holds
 * data (a completed job, a dead one, a pending one, a config override, and whatever a suite
 * seeds on top) and checks that queuectl answers with the documented exit code and one plain line
 * on stderr, prints nothing on stdout, and changes nothing: not the database, not a file it was
 * pointed at.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  copyDatabase,
  makeSandbox,
  onEveryStore,
  type Sandbox,
  snapshotDatabase,
  TEST_STORE,
  waitFor,
} from "./cli.ts";

export const USAGE = 2;
export const NOT_FOUND = 3;
export const STORE_UNAVAILABLE = 4;
export const CONFLICT = 5;

/** One wrong command line and how queuectl must answer it. */
export interface BadInputCase {
  /** What the user got wrong. */
  intent: string;
  /**
   * The command line; may create files in the sandbox's directory first, but never write to its
   * database (on PostgreSQL the cases share one copy of it while each leaves it unchanged).
   */
  args: (sandbox: Sandbox) => string[] | Promise<string[]>;
  env?: Record<string, string>;
  /** What the command reads on stdin, if anything (bytes: for input that is not UTF-8). */
  stdin?: string | Uint8Array;
  code: number;
  /** What the one line on stderr must say. */
  message?: RegExp;
  /** Files (besides the sandbox's database) whose bytes must not change. */
  files?: (sandbox: Sandbox) => string[];
  /** A case about the SQLite file itself: skipped on the other stores (say why next to it). */
  sqliteOnly?: boolean;
}

/** What a suite seeds on top of the common data, and the snapshot text that proves it there. */
export interface ExtraSeed {
  seed(sandbox: Sandbox): Promise<void>;
  markers: string[];
}

const COMMON_MARKERS = ['"state":"completed"', '"state":"dead"', '"key":"max_retries"'];

/** Registers one test with a step per case. */
export function badInputTest(name: string, cases: BadInputCase[], extra?: ExtraSeed): void {
  onEveryStore.test(name, async (t) => {
    const template = await makeTemplate(extra);
    // On PostgreSQL the cases take turns in one copy of the template, each in a directory of its
    // own, for as long as each leaves the database as it was (which each checks): copying a
    // schema cost more than the case itself. A case that fails takes its copy with it, so the
    // next one starts from a fresh one. A SQLite file is copied for every case, at no cost.
    let shared: { sandbox: Sandbox; snapshot: string | null } | undefined;
    try {
      for (const badCase of cases) {
        await t.step({
          name: badCase.intent,
          ignore: badCase.sqliteOnly === true && TEST_STORE !== "sqlite",
          fn: async () => {
            if (TEST_STORE !== "postgres") {
              await using sandbox = await copyOf(template);
              await checkCase(badCase, sandbox, await seededSnapshot(sandbox, extra));
              return;
            }
            const copy = shared ?? await (async () => {
              const sandbox = await copyOf(template);
              try {
                return { sandbox, snapshot: await seededSnapshot(sandbox, extra) };
              } catch (error) {
                await sandbox.cleanup();
                throw error;
              }
            })();
            shared = undefined;
            try {
              await using sandbox = await makeSandbox(TEST_STORE, { onSchemaOf: copy.sandbox });
              await checkCase(badCase, sandbox, copy.snapshot);
            } catch (error) {
              await copy.sandbox.cleanup();
              throw error;
            }
            shared = copy;
          },
        });
      }
    } finally {
      await shared?.sandbox.cleanup();
      await template.cleanup();
    }
  });
}

async function copyOf(template: Sandbox): Promise<Sandbox> {
  const sandbox = await makeSandbox();
  try {
    await copyDatabase(template, sandbox);
  } catch (error) {
    await sandbox.cleanup();
    throw error;
  }
  return sandbox;
}

/** The copied database's snapshot, once it is known to hold every seeded row. */
async function seededSnapshot(
  sandbox: Sandbox,
  extra: ExtraSeed | undefined,
): Promise<string | null> {
  const snapshot = await snapshotDatabase(sandbox);
  for (const seeded of [...COMMON_MARKERS, ...extra?.markers ?? []]) {
    assert.ok(snapshot?.includes(seeded), `the seeded database has ${seeded}`);
  }
  return snapshot;
}

async function checkCase(
  badCase: BadInputCase,
  sandbox: Sandbox,
  databaseBefore: string | null,
): Promise<void> {
  const args = await badCase.args(sandbox);
  const files = badCase.files?.(sandbox) ?? [];
  const filesBefore = await bytesOf(files);

  const result = await sandbox.run(args, { env: badCase.env, stdin: badCase.stdin });
  const shown = `queuectl ${
    args.map((arg) => JSON.stringify(abbreviated(arg))).join(" ")
  }\n--- stdout\n${abbreviated(result.stdout)}--- stderr\n${abbreviated(result.stderr)}`;

  assert.equal(result.code, badCase.code, `exit code of ${shown}`);
  assert.equal(result.stdout, "", `stdout of ${shown}`);
  assert.ok(result.stderr.endsWith("\n"), `stderr ends with a newline: ${shown}`);
  const lines = result.stderr.slice(0, -1).split("\n");
  assert.equal(lines.length, 1, `stderr is one line: ${shown}`);
  assert.match(lines[0], /^queuectl: \S/, `stderr says who speaks: ${shown}`);
  assert.doesNotMatch(result.stderr, /^ {4}at /m, `no stack trace: ${shown}`);
  assert.doesNotMatch(result.stderr, /error: Uncaught/, `no uncaught error: ${shown}`);
  if (badCase.message) assert.match(lines[0], badCase.message, `stderr of ${shown}`);
  assert.equal(await snapshotDatabase(sandbox), databaseBefore, `the database changed: ${shown}`);
  assert.deepEqual(await bytesOf(files), filesBefore, `a file changed by ${shown}`);
}

/** Builds, once, the seeded database that every case starts from (a copy of it). */
async function makeTemplate(extra: ExtraSeed | undefined): Promise<Sandbox> {
  const sandbox = await makeSandbox();
  try {
    await sandbox.ok(["config", "set", "poll_interval", "0.1"]);
    await sandbox.ok(["enqueue", '{"id":"done","command":"echo done"}']);
    await sandbox.ok(["enqueue", '{"id":"dead","command":"exit 7","max_retries":0}']);
    const worker = sandbox.spawnWorker();
    await waitFor("the seed jobs to settle", async () => {
      const { jobs } = await sandbox.status();
      return jobs.completed === 1 && jobs.dead === 1;
    });
    worker.kill("SIGTERM");
    assert.equal((await worker.finished()).code, 0);
    await sandbox.ok(["enqueue", '{"id":"waiting","command":"echo later","queue":"q"}']);
    await sandbox.ok(["config", "set", "max_retries", "4"]);
    await extra?.seed(sandbox);
    return sandbox;
  } catch (error) {
    await sandbox.cleanup();
    throw error;
  }
}

/** Long text (a 10 MB command) cut to its ends, so a failure stays readable. */
function abbreviated(text: string): string {
  return text.length <= 300
    ? text
    : `${text.slice(0, 150)}…(${text.length} chars)…${text.slice(-150)}`;
}

async function bytesOf(paths: string[]): Promise<(string | null)[]> {
  return await Promise.all(paths.map(async (path) => {
    try {
      return Array.from(await Deno.readFile(path)).join(",");
    } catch {
      return null;
    }
  }));
}
