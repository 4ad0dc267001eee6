import assert from "node:assert/strict";
import { StoreOutage } from "./store_outage.ts";

const FULL = 'Cannot write to the database "/q.db": the disk is full';

/** An outage logging into an array, on a clock the test moves. */
function recorded() {
  const lines: string[] = [];
  let now = 0;
  const outage = new StoreOutage({
    error: (message) => lines.push(`error: ${message}`),
    info: (message) => lines.push(`info: ${message}`),
  }, () => now);
  return { outage, lines, advance: (ms: number) => now += ms };
}

Deno.test("StoreOutage says an outage once, however many parts fail however often", () => {
  const { outage, lines } = recorded();
  for (let retry = 0; retry < 50; retry++) {
    outage.failed("heartbeat", FULL);
    outage.failed("worker 1", FULL);
    outage.failed("worker 2", FULL);
  }
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^error: The store is unavailable, waiting for it .*: Cannot write to the database "\/q\.db": the disk is full$/,
  );
  assert.ok(outage.ongoing);
});

Deno.test("StoreOutage ends the outage when the last failing part is through, once", () => {
  const { outage, lines, advance } = recorded();
  outage.failed("heartbeat", FULL);
  outage.failed("worker 1", FULL);
  advance(12_340);
  outage.recovered("heartbeat");
  assert.equal(lines.length, 1, "worker 1 still fails");
  outage.recovered("worker 1");
  outage.recovered("worker 1");
  outage.recovered("worker 2");
  assert.deepEqual(lines.slice(1), ["info: The store answers again, after 12.3 s"]);
  assert.ok(!outage.ongoing);
});

Deno.test("StoreOutage says nothing of parts that never failed", () => {
  const { outage, lines } = recorded();
  outage.recovered("heartbeat");
  outage.forget("worker 1");
  assert.deepEqual(lines, []);
});

Deno.test("StoreOutage.forget() drops a part that stopped, without ending the outage for it", () => {
  const { outage, lines } = recorded();
  outage.failed("worker 1", FULL);
  outage.failed("heartbeat", FULL);
  outage.forget("worker 1");
  assert.equal(lines.length, 1);
  outage.recovered("heartbeat");
  assert.equal(lines.length, 2, "the heartbeat was the last part failing");
});

Deno.test("StoreOutage says a second outage after the first has ended", () => {
  const { outage, lines } = recorded();
  outage.failed("heartbeat", FULL);
  outage.recovered("heartbeat");
  outage.failed("heartbeat", "Cannot reach PostgreSQL at postgres://db/q: ECONNREFUSED");
  assert.equal(lines.length, 3);
  assert.match(lines[2], /ECONNREFUSED$/);
});
