import assert from "node:assert/strict";
import { checkForCycles } from "./enqueue.ts";
import { UsageError } from "./errors.ts";

Deno.test("checkForCycles() accepts chains and diamonds", () => {
  checkForCycles([
    { id: "a", after: [] },
    { id: "b", after: ["a"] },
    { id: "c", after: ["a"] },
    { id: "d", after: ["b", "c", "stored-elsewhere"] },
  ]);
});

Deno.test("checkForCycles() names the jobs of a circle", () => {
  assert.throws(
    () =>
      checkForCycles([
        { id: "a", after: ["c"] },
        { id: "b", after: ["a"] },
        { id: "c", after: ["b"] },
      ]),
    (error: unknown) => error instanceof UsageError && /"a" → "c" → "b" → "a"/.test(error.message),
  );
});

Deno.test("checkForCycles() refuses a job that waits on itself", () => {
  assert.throws(() => checkForCycles([{ id: "a", after: ["a"] }]), UsageError);
});
