import assert from "node:assert/strict";
import { parseDuration } from "./duration.ts";
import { UsageError } from "./errors.ts";

Deno.test("parseDuration() reads every unit, combinations, and bare seconds", () => {
  const cases: [text: string, ms: number][] = [
    ["30", 30_000],
    ["1.5", 1_500],
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["7d", 604_800_000],
    ["1w", 604_800_000],
    ["1h30m", 5_400_000],
    [" 10M ", 600_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text, "--delay"), ms, text);
});

Deno.test("parseDuration() rejects what is not a duration with a usage error", () => {
  for (const text of ["", "abc", "5x", "-5s", "5 m", "m5", "1h-30m"]) {
    assert.throws(() => parseDuration(text, "--delay"), UsageError, text);
  }
});
