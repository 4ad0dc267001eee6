import assert from "node:assert/strict";
import { ManualClock } from "./clock.ts";
import { waitUntil } from "./wait_until.ts";

Deno.test("waitUntil() looks at once, every intervalMs, once more at the deadline, then gives up", async () => {
  const clock = new ManualClock(0);
  const looks: number[] = [];
  const met = await waitUntil(() => {
    looks.push(clock.now());
    return false;
  }, { clock, timeoutMs: 1000, intervalMs: 300 });
  assert.equal(met, false);
  assert.deepEqual(looks, [0, 300, 600, 900, 1000]);
});

Deno.test("waitUntil() resolves true at the first look the condition holds", async () => {
  const clock = new ManualClock(0);
  let looks = 0;
  assert.equal(
    await waitUntil(() => Promise.resolve(++looks === 3), { clock, intervalMs: 50 }),
    true,
  );
  assert.equal(looks, 3);
  assert.equal(clock.now(), 100);
});

Deno.test("waitUntil() with a zero timeout looks once", async () => {
  const clock = new ManualClock(0);
  let looks = 0;
  assert.equal(
    await waitUntil(() => (looks++, false), { clock, timeoutMs: 0, intervalMs: 50 }),
    false,
  );
  assert.equal(looks, 1);
  assert.equal(clock.now(), 0);
});

Deno.test("waitUntil() rejects with the signal's reason and with what the condition throws", async () => {
  const clock = new ManualClock(0);
  const reason = new Error("stop");
  const signal = AbortSignal.abort(reason);
  await assert.rejects(waitUntil(() => true, { clock, intervalMs: 50, signal }), reason);
  const broken = new Error("store gone");
  await assert.rejects(waitUntil(() => Promise.reject(broken), { clock, intervalMs: 50 }), broken);
});
