import assert from "node:assert/strict";
import { COMMAND_INDEX } from "./command_index.ts";

Deno.test("each index entry loads the command of the same path", async () => {
  for (const entry of COMMAND_INDEX) {
    assert.deepEqual((await entry.load()).path, entry.path);
  }
});

Deno.test("no two commands share a path", () => {
  const paths = COMMAND_INDEX.map((entry) => entry.path.join(" "));
  assert.equal(new Set(paths).size, paths.length);
});
