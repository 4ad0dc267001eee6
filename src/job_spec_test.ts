import assert from "node:assert/strict";
import { canonicalConfigKey } from "./config.ts";
import { UsageError } from "./errors.ts";
import {
  jobSpecFromValue,
  MAX_COMMAND_BYTES,
  parseDelay,
  parseJobSpec,
  parseRunAt,
  validateCommand,
  validateEnv,
} from "./job_spec.ts";
import { parseShell, shellFamily } from "./shell.ts";

Deno.test("parseRunAt() takes times from 1970 to the end of 9999, and refuses one beyond", () => {
  assert.equal(parseRunAt("1970-01-01T00:00:00Z"), 0);
  assert.equal(parseRunAt("9999-12-31T23:59:59.999Z"), Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  assert.equal(parseRunAt("2026-01-01T00:00:00+23:59"), Date.UTC(2025, 11, 31, 0, 1));
  for (
    const [text, why] of [
      ["1969-12-31T23:59:59.999Z", /before 1970-01-01T00:00:00\.000Z/],
      ["1970-01-01T00:59:59+01:00", /before 1970/],
      ["9999-12-31T23:59:59.999-00:01", /after 9999-12-31T23:59:59\.999Z/],
      ["0000-01-01T00:00:00Z", /before 1970/],
    ] as const
  ) {
    assert.throws(() => parseRunAt(text), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, why);
      assert.ok(error.message.includes(JSON.stringify(text)), error.message);
      return true;
    });
  }
});

Deno.test("parseRunAt() refuses dates and zones that do not exist instead of rolling them over", () => {
  for (
    const text of [
      "2026-01-01T00:00:00+99:99",
      "2026-01-01T00:00:00+24:00",
      "2026-01-01T00:00:00-12:60",
      "2026-13-01T00:00:00Z",
      "2026-00-10T00:00:00Z",
      "2027-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T25:00:00Z",
      "2026-01-01T23:60:00Z",
      "2026-01-01T23:59:60Z",
    ]
  ) {
    assert.throws(() => parseRunAt(text, "--run-at"), UsageError, text);
  }
  assert.equal(parseRunAt("2028-02-29T00:00:00Z"), Date.UTC(2028, 1, 29), "a leap day exists");
});

Deno.test("parseDelay() takes 0 to 100 years, as seconds or as a duration", () => {
  const hundredYears = 36_525 * 86_400_000;
  assert.equal(parseDelay(0), 0);
  assert.equal(parseDelay(1.5), 1_500);
  assert.equal(parseDelay(hundredYears / 1000), hundredYears);
  assert.equal(parseDelay("36525d"), hundredYears);
  assert.equal(parseDelay("5m"), 300_000);
  for (
    const value of [hundredYears / 1000 + 1, 1e300, Infinity, NaN, -1, "36526d", "99999999999999d"]
  ) {
    assert.throws(() => parseDelay(value), UsageError, String(value));
  }
  assert.throws(() => parseDelay(true), UsageError);
});

Deno.test("validateCommand() counts UTF-8 bytes against MAX_COMMAND_BYTES", () => {
  assert.equal(MAX_COMMAND_BYTES, 127 * 1024);
  const ascii = "x".repeat(MAX_COMMAND_BYTES);
  assert.equal(validateCommand(ascii), ascii, "exactly the limit is taken");
  assert.throws(() => validateCommand(ascii + "x"), /130049 bytes long, and at most 130048/);
  // "é" is 2 bytes, "€" 3, "😀" 4 (one surrogate pair): characters are not bytes.
  assert.throws(() => validateCommand("é".repeat(MAX_COMMAND_BYTES / 2 + 1)), /130050 bytes/);
  assert.throws(() => validateCommand("€".repeat(MAX_COMMAND_BYTES / 3 + 1)), /bytes long/);
  const emoji = "😀".repeat(MAX_COMMAND_BYTES / 4);
  assert.equal(validateCommand(emoji), emoji, "pairs count 4 bytes, not 6");
  assert.throws(() => validateCommand(emoji + "😀"), /130052 bytes/);
});

Deno.test("validateCommand() refuses lone surrogates, naming where, and takes pairs", () => {
  assert.equal(validateCommand("echo 😀"), "echo 😀");
  for (const [text, where] of [["echo \ud800", 6], ["\udc00 x", 1], ["a😀\ud83d", 4]] as const) {
    assert.throws(
      () => validateCommand(text),
      new RegExp(`lone surrogate \\("\\\\u[0-9a-f]{4}" at character ${where}\\)`),
      text,
    );
  }
  assert.throws(() => parseJobSpec('{"command":"echo \\ud800"}'), /command.*surrogate/);
});

Deno.test("validateEnv() refuses values too long to pass and lone surrogates", () => {
  const value = "v".repeat(MAX_COMMAND_BYTES - "A=".length);
  assert.deepEqual(validateEnv({ A: value }), { A: value });
  assert.throws(() => validateEnv({ A: value + "v" }), /env value for A: A=VALUE is 130049 bytes/);
  assert.throws(() => validateEnv({ A: "x\udfff" }), /env value for A: .*surrogate/);
});

Deno.test("jobSpecFromValue() refuses inherited keys as unknown fields", () => {
  for (const key of ["constructor", "valueOf", "toString", "hasOwnProperty", "__proto__"]) {
    // JSON.parse makes "__proto__" an own property, as a body or a file line would.
    const fields = JSON.parse(`{"command":"true",${JSON.stringify(key)}:1}`);
    assert.throws(
      () => jobSpecFromValue(fields),
      new RegExp(`Unknown field "${key}" in job JSON`),
      key,
    );
  }
  assert.throws(
    () => jobSpecFromValue(Object.create({ command: "inherited" })),
    /Missing command/,
    "a command from the prototype is no command",
  );
  assert.deepEqual(jobSpecFromValue({ command: "true", state: "pending", attempts: 0 }), {
    command: "true",
  });
});

Deno.test("shells and config keys are looked up as own names only", () => {
  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    assert.equal(parseShell(name), undefined, name);
    assert.throws(() => canonicalConfigKey(name), /Unknown config key/, name);
  }
  assert.equal(shellFamily("/opt/bin/constructor"), "posix");
  assert.equal(shellFamily("/opt/bin/fish"), "fish");
});
