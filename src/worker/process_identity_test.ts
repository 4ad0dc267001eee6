import assert from "node:assert/strict";
import { isSameProcessAlive, parseStartTime, processStartTime } from "./process_identity.ts";

Deno.test("parseStartTime() reads field 22 even when the command name has spaces and parens", () => {
  const stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 " +
    "1000 10 18446744073709551615";
  assert.equal(parseStartTime(stat), "987654");
});

Deno.test("parseStartTime() treats a zombie as gone", () => {
  const stat = "77 (sh) Z 1 77 77 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5555 0 0 0";
  assert.equal(parseStartTime(stat), null);
});

Deno.test({
  name:
    "isSameProcessAlive() recognises this process and rejects a wrong start time (Linux: start times come from /proc)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const mine = await processStartTime(Deno.pid);
    assert.equal(await isSameProcessAlive(Deno.pid, mine), true);
    assert.equal(await isSameProcessAlive(Deno.pid, String(Number(mine) + 1)), false);
  },
});

Deno.test({
  name: "isSameProcessAlive() says a reaped process is gone (Linux: start times come from /proc)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const child = new Deno.Command("sleep", { args: ["0.2"] }).spawn();
    const startTime = await processStartTime(child.pid);
    assert.notEqual(startTime, null);
    await child.status;
    assert.equal(await isSameProcessAlive(child.pid, startTime), false);
  },
});
