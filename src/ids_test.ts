import assert from "node:assert/strict";
import { generateJobId } from "./ids.ts";
import { validateJobId } from "./job_spec.ts";

Deno.test("generateJobId() sorts by creation time, within and across milliseconds", () => {
  const ids = [
    ...Array.from({ length: 1000 }, () => generateJobId(1_700_000_000_000)),
    ...Array.from({ length: 10 }, (_, i) => generateJobId(1_700_000_000_001 + i)),
  ];
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});

Deno.test("generateJobId() makes ids that pass validateJobId()", () => {
  const id = generateJobId(Date.now());
  assert.equal(validateJobId(id), id);
  assert.equal(id.length, 16);
});
