import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { ArgError, readArgs, tokenizeArgs } from "./arg_tokens.ts";
import type { OptionSpec } from "./command.ts";

const OPTIONS: Record<string, OptionSpec> = {
  db: { type: "string", description: "" },
  count: { type: "string", short: "c", description: "" },
  file: { type: "string", short: "f", description: "" },
  tag: { type: "string", short: "t", multiple: true, description: "" },
  json: { type: "boolean", description: "" },
  verbose: { type: "boolean", short: "v", description: "" },
  quiet: { type: "boolean", short: "q", description: "" },
  help: { type: "boolean", short: "h", description: "" },
};

/** Words that exercise every rule, and the corners (prototype names, `=`, lone dashes). */
const WORDS = [
  ...["--db", "--db=x", "--db=", "-c", "-c5", "-cv", "-vc", "-vq", "-vqc", "-c=3", "--count"],
  ...["--tag", "--tag=a", "--json", "--json=1", "--json=", "-v", "-q", "-h", "-z", "-vz"],
  ...["--zzz", "--zzz=1", "--constructor", "--__proto__", "--toString", "-", "x", "y", ""],
  ...["-5", "-1.5", "--", "---x", "--=", "-=", "--help", "-f", "-fv", "-hf"],
  ...["--db=-x", "-c-x", "-c--json", "-t", "-vt", "-ta", "--db=a=b", "-5m", "-c-5"],
];

type Outcome =
  | { values: Record<string, unknown>; positionals: string[] }
  | { error: string; flag: string };

/** The old way: `parseArgs`, with negative numbers hidden from it, and its errors classified. */
function byParseArgs(args: string[]): Outcome {
  const hidden = "\u0000negative:";
  const restore = (value: unknown): unknown =>
    typeof value === "string" && value.startsWith(hidden)
      ? value.slice(hidden.length)
      : Array.isArray(value)
      ? value.map(restore)
      : value;
  try {
    const { values, positionals } = parseArgs({
      args: args.map((arg) => /^-\d/.test(arg) ? hidden + arg : arg),
      options: Object.fromEntries(
        Object.entries(OPTIONS).map((
          [name, spec],
        ) => [name, {
          type: spec.type,
          multiple: spec.multiple ?? false,
          ...(spec.short ? { short: spec.short } : {}),
        }]),
      ),
      strict: true,
      allowPositionals: true,
    });
    return {
      values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, restore(v)])),
      positionals: positionals.map((value) => restore(value) as string),
    };
  } catch (error) {
    const message = (error as Error).message;
    const quoted = message.match(/'([^']*)'/)?.[1] ?? "";
    const flag = quoted.match(/--[\w-]+/)?.[0] ?? quoted.match(/-\w/)?.[0] ?? quoted;
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return { error: "unknown", flag };
    if (message.includes("argument missing")) return { error: "missing-value", flag };
    if (message.includes("ambiguous")) {
      // Read here as a missing value, named by its long form (a departure on purpose).
      const short = /^-\w$/.test(flag) ? flag[1] : undefined;
      const long = short && Object.entries(OPTIONS).find(([, spec]) => spec.short === short)?.[0];
      return { error: "missing-value", flag: long ? `--${long}` : flag };
    }
    return { error: "unexpected-value", flag };
  }
}

function byReadArgs(args: string[]): Outcome {
  try {
    const { values, positionals } = readArgs(args, OPTIONS);
    return { values: { ...values }, positionals };
  } catch (error) {
    if (!(error instanceof ArgError)) throw error;
    return { error: error.reason, flag: error.flag };
  }
}

/** A small deterministic generator, so a failure names a command line that can be rerun. */
function* commandLines(count: number, seed: number): Generator<string[]> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let line = 0; line < count; line++) {
    const length = Math.floor(next() * 6);
    yield Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]);
  }
}

Deno.test("readArgs() reads 20,000 generated command lines as node:util parseArgs does", () => {
  for (const args of commandLines(20_000, 7)) {
    assert.deepEqual(byReadArgs(args), byParseArgs(args), JSON.stringify(args));
  }
});

Deno.test("tokenizeArgs() reads the same tokens as a loose parseArgs does", () => {
  for (const args of commandLines(20_000, 11)) {
    // Departures on purpose: a negative number is a positional here, and a dash inside a group
    // of flags (`-c-x`, where c takes no value) is not read as `--`.
    if (args.some((arg) => /^-\d/.test(arg) || /^-[^-]+-/.test(arg))) continue;
    const { tokens } = parseArgs({
      args,
      options: { db: { type: "string" }, verbose: { type: "boolean", short: "v" } },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    const expected = tokens.map((token) =>
      token.kind === "option"
        ? { kind: token.kind, name: token.name, index: token.index, value: token.value }
        : token.kind === "positional"
        ? { kind: token.kind, value: token.value, index: token.index }
        : { kind: token.kind, index: token.index }
    );
    const actual = tokenizeArgs(args, { db: OPTIONS.db, verbose: OPTIONS.verbose }).map((token) =>
      token.kind === "option"
        ? { kind: token.kind, name: token.name, index: token.index, value: token.value }
        : token
    );
    assert.deepEqual(actual, expected, JSON.stringify(args));
  }
});

Deno.test("readArgs() takes a negative number as a value or a positional, not as a flag", () => {
  assert.deepEqual(readArgs(["--count", "-5", "-1"], OPTIONS), {
    values: { count: "-5" },
    positionals: ["-1"],
  });
  assert.deepEqual(readArgs(["-c", "-2.5"], OPTIONS).values, { count: "-2.5" });
});

Deno.test("readArgs() names the flag a value is missing from by its long name", () => {
  for (
    const [args, reason, flag] of [
      [["--count"], "missing-value", "--count"],
      [["-c", "--json"], "missing-value", "--count"],
      [["--json=yes"], "unexpected-value", "--json"],
      [["-vz"], "unknown", "-z"],
      [["--nope=1"], "unknown", "--nope"],
      [["-v-"], "unknown", "-v-"],
      [["--foo.bar"], "unknown", "--foo.bar"],
    ] as const
  ) {
    assert.throws(
      () => readArgs([...args], OPTIONS),
      (error) => error instanceof ArgError && error.reason === reason && error.flag === flag,
      args.join(" "),
    );
  }
});
