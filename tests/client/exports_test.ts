/**
 * The library's public surface: `mod.ts` exports exactly the names its module doc lists, every
 * one (and every member) documented, and its errors carry the CLI's exit codes. A change to the
 * API shows here as a diff of the lists below.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as library from "../../mod.ts";

const MOD = fileURLToPath(new URL("../../mod.ts", import.meta.url));

/** What `mod.ts` exports at run time: the client and the errors. */
const VALUES = [
  "ConflictError",
  "NotFoundError",
  "Queue",
  "QueuectlError",
  "StoreUnavailableError",
  "UsageError",
  "WaitTimeoutError",
];

/** What it exports as types only: what the client takes and returns. */
const TYPES = [
  "BatchCallbackJson",
  "BatchJson",
  "BatchOptions",
  "EnqueuedJob",
  "EnqueuedJobJson",
  "JobInfoJson",
  "JobInput",
  "JobJson",
  "JobState",
  "PausedQueueJson",
  "QueueJson",
  "QueueOptions",
  "RetryFilterInput",
  "RetryJson",
  "RetryRequest",
  "RateLimitedQueueJson",
  "RunJson",
  "StatusJson",
  "WaitOptions",
  "WaitResult",
  "WorkerJson",
];

async function denoDoc(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", ...args, MOD],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("mod.ts exports at run time the client and its errors, nothing else", () => {
  assert.deepEqual(Object.keys(library).sort(), VALUES);
});

Deno.test("mod.ts exports exactly the names its module doc lists", async () => {
  const result = await denoDoc("--json");
  assert.equal(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout);
  const module = Object.values(doc.nodes)[0] as {
    module_doc?: { doc?: string };
    symbols: { name: string }[];
  };
  const exported = module.symbols.map((symbol) => symbol.name).sort();
  assert.deepEqual(exported, [...VALUES, ...TYPES].sort());
  const listed = [...(module.module_doc?.doc ?? "").matchAll(/\{@linkcode (\w+)\}/g)]
    .map((match) => match[1]).sort();
  assert.deepEqual(listed, exported, "the module doc lists every export, once");
});

Deno.test("deno doc --lint finds every exported symbol and member of mod.ts documented", async () => {
  const result = await denoDoc("--lint");
  assert.equal(result.code, 0, `deno doc --lint mod.ts:\n${result.stderr}${result.stdout}`);
});

Deno.test("the errors are QueuectlErrors carrying the CLI's exit codes", () => {
  const cases: [library.QueuectlError, number][] = [
    [new library.UsageError("Invalid priority"), 2],
    [new library.NotFoundError('No job with id "x"'), 3],
    [new library.StoreUnavailableError("Cannot open"), 4],
    [new library.ConflictError('Job "x" exists already'), 5],
    [new library.WaitTimeoutError(1000, [{ id: "x", state: "pending" }]), 124],
  ];
  for (const [error, exitCode] of cases) {
    assert.ok(error instanceof library.QueuectlError, error.name);
    assert.equal(error.exitCode, exitCode, error.name);
  }
});
