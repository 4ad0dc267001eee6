import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import {
  checkHookTarget,
  describeHook,
  isWebhook,
  outcomesFromColumn,
  outcomesToColumn,
  validateOutcomes,
} from "./finish_hooks.ts";

Deno.test("isWebhook() takes http(s) URLs only, in any case, and no command that mentions one", () => {
  const cases: [target: string, webhook: boolean][] = [
    ["https://hooks.example.com/q", true],
    ["HTTP://127.0.0.1:8080/", true],
    ["  https://x.example", true],
    ["curl -d @- https://hooks.example.com", false],
    ["ftp://files.example.com", false],
    ["https-notify.sh", false],
    ["./notify.sh", false],
  ];
  for (const [target, webhook] of cases) assert.equal(isWebhook(target), webhook, target);
});

Deno.test("checkHookTarget() keeps commands as given, trims URLs, and refuses a URL that is none", () => {
  assert.equal(checkHookTarget("  ./notify.sh ", "--on-finish"), "  ./notify.sh ");
  assert.equal(checkHookTarget(" https://x.example/a ", "--on-finish"), "https://x.example/a");
  for (const bad of ["http://exa mple.com", "https://", "http://[::1"]) {
    assert.throws(() => checkHookTarget(bad, "--on-finish"), UsageError, bad);
  }
});

Deno.test("validateOutcomes() reads an array or a comma list, drops repeats, and keeps a fixed order", () => {
  assert.deepEqual(validateOutcomes(["canceled", "dead", "dead"], "w"), ["dead", "canceled"]);
  assert.deepEqual(validateOutcomes(" completed , canceled", "w"), ["completed", "canceled"]);
  const bad: [intent: string, value: unknown][] = [
    ["empty array", []],
    ["empty string", ""],
    ["a state that is not final", ["failed"]],
    ["a trailing comma", "dead,"],
    ["a number", 1],
    ["a number in the list", ["dead", 1]],
    ["null", null],
    ["wrong case", ["Dead"]],
  ];
  for (const [intent, value] of bad) {
    assert.throws(() => validateOutcomes(value, "on_finish_when"), /on_finish_when/, intent);
  }
});

Deno.test("an outcome list round-trips through its column, and a bad stored one reads invalid", () => {
  assert.equal(outcomesToColumn(null), null);
  assert.deepEqual(outcomesFromColumn(outcomesToColumn(["dead"])), ["dead"]);
  assert.equal(outcomesFromColumn(null), null);
  for (const stored of ["", "dead", "[]", '["failed"]', "{}", "[1]", "not json"]) {
    assert.equal(outcomesFromColumn(stored), "invalid", stored);
  }
});

Deno.test("describeHook() says which outcomes a hook fires on", () => {
  assert.equal(describeHook("./n.sh", null), "./n.sh (on every outcome)");
  assert.equal(describeHook("./n.sh", ["dead", "canceled"]), "./n.sh (on dead, canceled)");
  assert.equal(describeHook("./n.sh", "invalid"), "./n.sh (on invalid outcomes)");
});
