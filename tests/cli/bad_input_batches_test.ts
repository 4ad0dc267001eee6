/**
 * Bad input to batches (`enqueue --batch`, `--on-complete`, `--on-failure`, a line's "batch",
 * `batch info`, `wait --batch`, `list --batch`), table-driven like `bad_input_test.ts`: every case
 * runs one wrong command line against a database that holds data (an open batch "open" and a
 * settled one "settled") and checks that queuectl answers with the documented exit code (2 usage,
 * 3 not found, 5 conflict) and one plain line on stderr, prints nothing on stdout, and changes
 * nothing.
 *
 * @module
 */
import { join } from "node:path";
import {
  type BadInputCase,
  badInputTest,
  CONFLICT,
  NOT_FOUND,
  USAGE,
} from "../helpers/bad_input.ts";
import { type Sandbox, waitFor } from "../helpers/cli.ts";

const enqueue = (...args: string[]) => () => ["enqueue", ...args];

/** A JSON-lines file in the sandbox, for `enqueue --file`. */
function file(lines: string[]) {
  return async (sandbox: Sandbox) => {
    const path = join(sandbox.dir, "jobs.jsonl");
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    return ["enqueue", "--file", path, "--batch", "open"];
  };
}

const CASES: BadInputCase[] = [
  {
    intent: "--on-complete without --batch",
    args: enqueue("--on-complete", "echo done", "--", "true"),
    code: USAGE,
    message: /--on-complete needs --batch NAME/,
  },
  {
    intent: "--on-failure without --batch",
    args: enqueue("--on-failure", "echo oops", "--", "true"),
    code: USAGE,
    message: /--on-failure needs --batch NAME/,
  },
  {
    intent: "a batch name with a space",
    args: enqueue("--batch", "my batch", "--", "true"),
    code: USAGE,
    message: /Invalid --batch "my batch"/,
  },
  { intent: "an empty batch name", args: enqueue("--batch", "", "--", "true"), code: USAGE },
  {
    intent: "a batch name of 65 characters",
    args: enqueue("--batch", "b".repeat(65), "--", "true"),
    code: USAGE,
  },
  {
    intent: "an empty --on-complete command",
    args: enqueue("--batch", "new", "--on-complete", " ", "--", "true"),
    code: USAGE,
    message: /Invalid --on-complete: it is empty/,
  },
  {
    intent: "an --on-failure command longer than 127 KiB",
    args: enqueue("--batch", "new", "--on-failure", "x".repeat(127 * 1024 + 1), "--", "true"),
    code: USAGE,
    message: /--on-failure/,
  },
  {
    intent: "a job added to a settled batch",
    args: enqueue("--batch", "settled", "--", "true"),
    code: CONFLICT,
    message: /Cannot add jobs to batch "settled": it settled \(completed\)/,
  },
  {
    intent: "an open batch given another --on-complete",
    args: enqueue("--batch", "open", "--on-complete", "echo other", "--", "true"),
    code: CONFLICT,
    message: /its --on-complete is "echo open done"/,
  },
  {
    intent: "an open batch given an --on-failure it was created without",
    args: enqueue("--batch", "open", "--on-failure", "echo oops", "--", "true"),
    code: CONFLICT,
    message: /its --on-failure is not set/,
  },
  {
    intent: "a file with a line joining a settled batch: no line is added",
    args: file(['{"command":"true"}', '{"command":"true","batch":"settled"}']),
    code: CONFLICT,
    message: /"settled"/,
  },
  {
    intent: "a file line whose batch is not a name",
    args: file(['{"command":"true","batch":7}']),
    code: USAGE,
    message: /Invalid batch 7/,
  },
  { intent: "batch info with no name", args: () => ["batch", "info"], code: USAGE },
  {
    intent: "batch info of an unknown batch",
    args: () => ["batch", "info", "ghost"],
    code: NOT_FOUND,
    message: /No batch "ghost"/,
  },
  {
    intent: "batch info of a bad name",
    args: () => ["batch", "info", "a/b"],
    code: USAGE,
  },
  {
    intent: "wait --batch of an unknown batch",
    args: () => ["wait", "--batch", "ghost"],
    code: NOT_FOUND,
    message: /No batch "ghost"/,
  },
  {
    intent: "list --batch with a bad name",
    args: () => ["list", "--batch", "a b"],
    code: USAGE,
    message: /Invalid --batch/,
  },
];

/** Seeded on top of the common data: a settled batch and an open one. */
const BATCH_SEED = {
  async seed(sandbox: Sandbox) {
    await sandbox.ok(["enqueue", "--batch", "settled", "--on-complete", "echo ok", "--", "true"]);
    const worker = sandbox.spawnWorker();
    await waitFor("the batch to settle", async () => {
      const batch = JSON.parse(await sandbox.ok(["batch", "info", "settled", "--json"]));
      return batch.on_complete.state === "completed" ? batch : undefined;
    });
    worker.kill("SIGTERM");
    await worker.finished();
    await sandbox.ok([
      "enqueue",
      "--batch",
      "open",
      "--on-complete",
      "echo open done",
      "--delay",
      "1h",
      "--",
      "true",
    ]);
  },
  markers: ['"outcome":"completed"', '"name":"open"'],
};

badInputTest(
  "bad batch input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
  BATCH_SEED,
);
