import assert from "node:assert/strict";
import { systemClock } from "./clock.ts";

Deno.test("systemClock.sleep() longer than a timer can take still waits, until aborted", async () => {
  // A delay over 2^31 - 1 ms overflows a timer, which then fires at once: a busy loop.
  const abort = new AbortController();
  let woke = false;
  const sleeping = systemClock.sleep(2 ** 31 + 1_000, abort.signal).then(() => woke = true);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(woke, false, "it did not wake after 100 ms");
  abort.abort();
  await sleeping;
  assert.equal(woke, true);
});
