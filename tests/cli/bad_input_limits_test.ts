/**
 * Hostile input at the edges, table-driven like `bad_input_test.ts`: values too large to store
 * or show (a delay of 10^300 seconds, a run time past the year 9999), dates that do not exist,
 * names that are inherited object keys (`__proto__`, `constructor`), text that is not what the
 * user wrote (invalid UTF-8, lone surrogates) and commands too long for the shell to be started
 * with. Each is refused at once with exit code 2 and one line on stderr, and nothing is stored.
 *
 * @module
 */
import { join } from "node:path";
import { type BadInputCase, badInputTest, USAGE } from "../helpers/bad_input.ts";
import type { Sandbox } from "../helpers/cli.ts";

/** `enqueue ARGS... -- true`: a good job with a bad flag. */
const enqueueWith = (...args: string[]) => () => ["enqueue", ...args, "--", "true"];
/** `enqueue JSON` with the JSON text exactly as given (for numbers JSON.stringify cannot write). */
const enqueueText = (json: string) => () => ["enqueue", json];
const enqueueJson = (job: Record<string, unknown>) => enqueueText(JSON.stringify(job));

/** Writes `lines` (text, or raw bytes) as a JSON-lines file in the sandbox; `enqueue --file` it. */
const enqueueFile = (lines: (string | Uint8Array)[]) => async (sandbox: Sandbox) => {
  const path = join(sandbox.dir, "jobs.jsonl");
  const parts = lines.map((line) => typeof line === "string" ? encode(line) : line);
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length + 1, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    bytes[at + part.length] = 0x0a;
    at += part.length + 1;
  }
  await Deno.writeFile(path, bytes);
  return ["enqueue", "--file", path];
};
const jobsFile = (sandbox: Sandbox) => [join(sandbox.dir, "jobs.jsonl")];

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `{"command":"echo �"}` with the `�` replaced by bytes that are not UTF-8. */
function lineWithBytes(bytes: number[]): Uint8Array {
  return new Uint8Array([...encode('{"command":"echo '), ...bytes, ...encode('"}')]);
}

/** The longest command accepted, in UTF-8 bytes (127 KiB: `MAX_COMMAND_BYTES`). */
const LIMIT = 127 * 1024;
const FOUR_HUNDRED_DIGITS = "9".repeat(400);

const CASES: BadInputCase[] = [
  // --- 1. values that poison the store ---------------------------------------------------------
  {
    intent: "enqueue --delay of 10^14 days (the run time would be infinite)",
    args: enqueueWith("--delay", "99999999999999d"),
    code: USAGE,
    message: /--delay "99999999999999d".*100 years/,
  },
  {
    intent: "enqueue --delay of a 400-digit number of seconds",
    args: enqueueWith("--delay", FOUR_HUNDRED_DIGITS),
    code: USAGE,
    message: /--delay.*100 years/,
  },
  {
    intent: "enqueue JSON delay of 1e300 seconds",
    args: enqueueText('{"command":"true","delay":1e300}'),
    code: USAGE,
    message: /delay.*100 years/,
  },
  {
    intent: "enqueue JSON delay of a 400-digit number (Infinity once parsed)",
    args: enqueueText(`{"command":"true","delay":${FOUR_HUNDRED_DIGITS}}`),
    code: USAGE,
    message: /delay/,
  },
  {
    intent: 'enqueue JSON delay "99999999999999d"',
    args: enqueueJson({ command: "true", delay: "99999999999999d" }),
    code: USAGE,
    message: /delay "99999999999999d".*100 years/,
  },
  {
    intent: "enqueue --run-at past 9999-12-31T23:59:59.999Z by its zone offset",
    args: enqueueWith("--run-at", "9999-12-31T23:59:59.999-01:00"),
    code: USAGE,
    message: /--run-at "9999-12-31T23:59:59\.999-01:00".*9999-12-31T23:59:59\.999Z/,
  },
  {
    intent: "enqueue JSON run_at in the year 0 (before 1970)",
    args: enqueueJson({ command: "true", run_at: "0000-01-01T00:00:00+01:00" }),
    code: USAGE,
    message: /run_at "0000-01-01T00:00:00\+01:00".*1970/,
  },
  {
    intent: "enqueue JSON run_at a second before 1970",
    args: enqueueJson({ command: "true", run_at: "1969-12-31T23:59:59Z" }),
    code: USAGE,
    message: /run_at.*1970/,
  },
  {
    intent: "enqueue --file whose second line has a delay of 1e300 seconds",
    args: enqueueFile(['{"command":"true"}', '{"command":"true","delay":1e300}']),
    code: USAGE,
    message: /Line 2 of .*delay/,
    files: jobsFile,
  },
  {
    intent: "list --since 10^14 days ago",
    args: () => ["list", "--since", "99999999999999d"],
    code: USAGE,
    message: /--since.*100 years/,
  },
  {
    intent: "list --limit beyond any database's range",
    args: () => ["list", "--limit", "99999999999999999999"],
    code: USAGE,
    message: /--limit "99999999999999999999"/,
  },
  {
    intent: "dlq list --limit beyond any database's range",
    args: () => ["dlq", "list", "--limit", "99999999999999999999"],
    code: USAGE,
    message: /--limit/,
  },
  {
    intent: "purge --older-than 10^14 days",
    args: () => ["purge", "--older-than", "99999999999999d"],
    code: USAGE,
    message: /--older-than.*100 years/,
  },
  {
    intent: "wait --timeout of 10^14 days",
    args: () => ["wait", "done", "--timeout", "99999999999999d"],
    code: USAGE,
    message: /--timeout.*100 years/,
  },
  {
    intent: "wait --poll-interval of 10^14 days (a timer that overflows fires at once)",
    args: () => ["wait", "done", "--poll-interval", "99999999999999d"],
    code: USAGE,
    message: /--poll-interval/,
  },
  {
    intent: "worker stop --timeout of 1e300 seconds",
    args: () => ["worker", "stop", "--timeout", "1e300"],
    code: USAGE,
    message: /--timeout "1e300"/,
  },
  {
    intent: "logs --attempt beyond the integers a number holds exactly",
    args: () => ["logs", "done", "--attempt", "99999999999999999999"],
    code: USAGE,
    message: /--attempt "99999999999999999999"/,
  },

  // --- 3. dates that do not exist --------------------------------------------------------------
  {
    intent: "enqueue --run-at with a zone offset of +99:99",
    args: enqueueWith("--run-at", "2026-01-01T00:00:00+99:99"),
    code: USAGE,
    message: /--run-at "2026-01-01T00:00:00\+99:99"/,
  },
  {
    intent: "enqueue JSON run_at with a zone offset of +24:00",
    args: enqueueJson({ command: "true", run_at: "2026-01-01T00:00:00+24:00" }),
    code: USAGE,
    message: /run_at "2026-01-01T00:00:00\+24:00"/,
  },
  {
    intent: "enqueue --run-at with a zone offset of -12:60",
    args: enqueueWith("--run-at", "2026-01-01T00:00:00-12:60"),
    code: USAGE,
    message: /--run-at "2026-01-01T00:00:00-12:60"/,
  },
  {
    intent: "enqueue --run-at in month 13",
    args: enqueueWith("--run-at", "2026-13-01T00:00:00Z"),
    code: USAGE,
    message: /--run-at "2026-13-01T00:00:00Z"/,
  },
  {
    intent: "enqueue --run-at on 30 February",
    args: enqueueWith("--run-at", "2028-02-30T00:00:00Z"),
    code: USAGE,
    message: /--run-at "2028-02-30T00:00:00Z"/,
  },
  {
    intent: "enqueue --run-at at hour 25",
    args: enqueueWith("--run-at", "2026-01-01T25:00:00Z"),
    code: USAGE,
    message: /--run-at "2026-01-01T25:00:00Z"/,
  },
  {
    intent: "list --since with a zone offset of +99:99",
    args: () => ["list", "--since", "2026-01-01T00:00:00+99:99"],
    code: USAGE,
    message: /--since "2026-01-01T00:00:00\+99:99"/,
  },

  // --- 4. inherited keys -----------------------------------------------------------------------
  {
    intent: 'enqueue JSON with a "__proto__" field',
    args: enqueueText('{"command":"true","__proto__":1}'),
    code: USAGE,
    message: /Unknown field "__proto__"/,
  },
  {
    intent: 'enqueue JSON with a "__proto__" object field',
    args: enqueueText('{"command":"true","__proto__":{"state":"pending"}}'),
    code: USAGE,
    message: /Unknown field "__proto__"/,
  },
  {
    intent: 'enqueue JSON with a "constructor" field',
    args: enqueueJson({ command: "true", constructor: 1 }),
    code: USAGE,
    message: /Unknown field "constructor"/,
  },
  {
    intent: 'enqueue JSON with a "valueOf" field',
    args: enqueueJson({ command: "true", valueOf: 1 }),
    code: USAGE,
    message: /Unknown field "valueOf"/,
  },
  {
    intent: 'enqueue JSON with a "hasOwnProperty" field',
    args: enqueueJson({ command: "true", hasOwnProperty: 1 }),
    code: USAGE,
    message: /Unknown field "hasOwnProperty"/,
  },
  {
    intent: "enqueue --file whose third line has a __proto__ field",
    args: enqueueFile([
      '{"command":"true"}',
      '{"command":"true"}',
      '{"command":"x","__proto__":1}',
    ]),
    code: USAGE,
    message: /Line 3 of .*Unknown field "__proto__"/,
    files: jobsFile,
  },
  {
    intent: "enqueue --shell constructor",
    args: enqueueWith("--shell", "constructor"),
    code: USAGE,
    message: /--shell "constructor"/,
  },
  {
    intent: 'enqueue JSON shell "__proto__"',
    args: enqueueJson({ command: "true", shell: "__proto__" }),
    code: USAGE,
    message: /shell "__proto__"/,
  },
  {
    intent: "schedule add --shell constructor",
    args: () => ["schedule", "add", "nightly", "0 3 * * *", "--shell", "constructor", "--", "true"],
    code: USAGE,
    message: /--shell "constructor"/,
  },
  {
    intent: "config set shell constructor",
    args: () => ["config", "set", "shell", "constructor"],
    code: USAGE,
    message: /"constructor" for shell/,
  },
  {
    intent: "config set of the key constructor",
    args: () => ["config", "set", "constructor", "1"],
    code: USAGE,
    message: /Unknown config key "constructor"/,
  },
  {
    intent: "config set of the key __proto__",
    args: () => ["config", "set", "__proto__", "1"],
    code: USAGE,
    message: /Unknown config key "__proto__"/,
  },
  {
    intent: "config get of the key constructor",
    args: () => ["config", "get", "constructor"],
    code: USAGE,
    message: /Unknown config key "constructor"/,
  },
  {
    intent: "config unset of the key constructor",
    args: () => ["config", "unset", "constructor"],
    code: USAGE,
    message: /Unknown config key "constructor"/,
  },

  // --- 5. bytes that are not what the user wrote -----------------------------------------------
  {
    intent: "enqueue --file whose third line is not UTF-8 (a 0xff byte)",
    args: enqueueFile(['{"command":"true"}', '{"command":"true"}', lineWithBytes([0xff])]),
    code: USAGE,
    message: /Line 3 of .*UTF-8/,
    files: jobsFile,
  },
  {
    intent: "enqueue --file with an overlong UTF-8 encoding of '/' on its first line",
    args: enqueueFile([lineWithBytes([0xc0, 0xaf]), '{"command":"true"}']),
    code: USAGE,
    message: /Line 1 of .*UTF-8/,
    files: jobsFile,
  },
  {
    intent: "enqueue --file with a UTF-8 sequence cut off at the end of the file",
    args: async (sandbox) => {
      const path = join(sandbox.dir, "jobs.jsonl");
      await Deno.writeFile(path, new Uint8Array([...encode('{"command":"true"}\n'), 0xe2, 0x82]));
      return ["enqueue", "--file", path];
    },
    code: USAGE,
    message: /Line 2 of .*UTF-8/,
    files: jobsFile,
  },
  {
    intent: "enqueue --file - whose second line on stdin is not UTF-8",
    args: () => ["enqueue", "--file", "-"],
    stdin: new Uint8Array([...encode('{"command":"true"}\n'), ...lineWithBytes([0xfe, 0x41])]),
    code: USAGE,
    message: /Line 2 of "-".*UTF-8/,
  },
  {
    intent: "enqueue JSON whose command holds a lone surrogate (\\ud800)",
    args: enqueueText('{"command":"echo \\ud800"}'),
    code: USAGE,
    message: /command.*surrogate/,
  },
  {
    intent: "enqueue JSON whose env value holds a lone surrogate (\\udc00)",
    args: enqueueText('{"command":"true","env":{"A":"x\\udc00"}}'),
    code: USAGE,
    message: /env value for A.*surrogate/,
  },
  {
    intent: "enqueue JSON whose cwd holds a lone surrogate",
    args: enqueueText('{"command":"true","cwd":"/tmp/\\ud83d"}'),
    code: USAGE,
    message: /cwd.*surrogate/,
  },
  {
    intent: "enqueue JSON whose unique_key holds a lone surrogate",
    args: enqueueText('{"command":"true","unique_key":"k\\ud800"}'),
    code: USAGE,
    message: /unique_key.*surrogate/,
  },
  {
    intent: "enqueue --file whose second line's command holds a lone surrogate",
    args: enqueueFile(['{"command":"true"}', '{"command":"echo \\udfff"}']),
    code: USAGE,
    message: /Line 2 of .*command.*surrogate/,
    files: jobsFile,
  },
  {
    intent: "enqueue a command one byte over the limit",
    args: () => ["enqueue", "--", "x".repeat(LIMIT + 1)],
    code: USAGE,
    message: new RegExp(`command.* ${LIMIT + 1} bytes.*at most ${LIMIT}`),
  },
  {
    intent: "enqueue a command of two-byte characters over the limit in bytes, not in characters",
    args: () => ["enqueue", "--", "é".repeat(LIMIT / 2 + 1)],
    code: USAGE,
    message: new RegExp(`command.* ${LIMIT + 2} bytes`),
  },
  {
    intent: "enqueue -- with several arguments that add up to over the limit",
    args: () => ["enqueue", "--", "echo", "a".repeat(70_000), "b".repeat(70_000)],
    code: USAGE,
    message: new RegExp(`command.*at most ${LIMIT} bytes`),
  },
  {
    intent: "enqueue JSON with a command over the limit",
    args: enqueueJson({ command: "y".repeat(LIMIT + 10) }),
    code: USAGE,
    message: /command.*bytes/,
  },
  {
    intent: "enqueue --file with a 10 MB command on its second line",
    args: enqueueFile(['{"command":"true"}', JSON.stringify({ command: "z".repeat(10_000_000) })]),
    code: USAGE,
    message: /Line 2 of .*command.*bytes/,
    files: jobsFile,
  },
  {
    intent: "enqueue JSON with an env value over the limit",
    args: enqueueJson({ command: "true", env: { BIG: "v".repeat(LIMIT + 1) } }),
    code: USAGE,
    message: /env value for BIG.*bytes/,
  },
  {
    intent: "schedule add of a command over the limit",
    args: () => ["schedule", "add", "big", "0 3 * * *", "--", "x".repeat(LIMIT + 1)],
    code: USAGE,
    message: /command.*bytes/,
  },
];

badInputTest(
  "input too large, impossible, inherited or not UTF-8 is refused with exit 2 and changes nothing",
  CASES,
);
