import assert from "node:assert/strict";
import { IdleSlots } from "./idle_slots.ts";

const LONG_MS = 60_000;

Deno.test("wakeOne ends exactly one wait, the longest", async () => {
  const idle = new IdleSlots();
  const ended: string[] = [];
  const first = idle.wait(LONG_MS).then(() => ended.push("first"));
  const second = idle.wait(LONG_MS).then(() => ended.push("second"));
  idle.wakeOne();
  await first;
  assert.deepEqual(ended, ["first"]);
  idle.wakeOne();
  await second;
  assert.deepEqual(ended, ["first", "second"]);
});

Deno.test("a wake-up while no slot waits is kept for the next wait", async () => {
  const idle = new IdleSlots();
  idle.wakeOne();
  const started = performance.now();
  await idle.wait(LONG_MS);
  assert.ok(performance.now() - started < LONG_MS);
});

Deno.test("wakeAll ends every wait", async () => {
  const idle = new IdleSlots();
  const waits = [idle.wait(LONG_MS), idle.wait(LONG_MS), idle.wait(LONG_MS)];
  idle.wakeAll();
  await Promise.all(waits);
});

Deno.test("a wait ends by itself after its time", async () => {
  const idle = new IdleSlots();
  await idle.wait(10);
  idle.wakeOne(); // Nobody waits: kept for later, and no timer is left behind.
});

Deno.test("only the longest-waiting slot times out; the next one takes over its polling", async () => {
  const idle = new IdleSlots();
  const ended: string[] = [];
  const first = idle.wait(20).then(() => ended.push("first"));
  const second = idle.wait(20).then(() => ended.push("second"));
  await first;
  assert.deepEqual(ended, ["first"]);
  assert.equal(idle.idleCount, 1);
  await second; // Its own timer started once it was first in line.
  assert.deepEqual(ended, ["first", "second"]);
  assert.equal(idle.idleCount, 0);
});
