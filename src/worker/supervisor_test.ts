import assert from "node:assert/strict";
import { slotsOfThreads, threadCount } from "./supervisor.ts";

Deno.test("one thread per core, never more than the slots nor 4", () => {
  assert.equal(threadCount(1, 8), 1);
  assert.equal(threadCount(8, 2), 2);
  assert.equal(threadCount(8, 16), 4);
  assert.equal(threadCount(3, 0), 1); // An unknown core count still gets a thread.
});

Deno.test("slots are dealt round-robin, each once", () => {
  assert.deepEqual(slotsOfThreads(5, 2), [[1, 3, 5], [2, 4]]);
  assert.deepEqual(slotsOfThreads(1, 1), [[1]]);
  const dealt = slotsOfThreads(8, 3).flat().sort((a, b) => a - b);
  assert.deepEqual(dealt, [1, 2, 3, 4, 5, 6, 7, 8]);
});
