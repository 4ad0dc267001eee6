/**
 * Bad input to unique-key policies (`--unique-policy`, `--debounce-max`, the JSON fields
 * `unique_policy` and `debounce_max`), table-driven like `bad_input_test.ts`: every case runs
 * one wrong command line against a database holding data (and a waiting job holding the key
 * "held", which a bad replace or debounce must leave as it is) and checks exit code 2, one plain
 * line on stderr, nothing on stdout and nothing changed. `POST /api/jobs` refuses the same.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type BadInputCase, badInputTest, USAGE } from "../helpers/bad_input.ts";
import { makeSandbox, onEveryStore, type Sandbox, snapshotDatabase } from "../helpers/cli.ts";
import { withDashboard } from "../helpers/dashboard.ts";

const enqueue = (...args: string[]) => () => ["enqueue", ...args];
const enqueueJson = (fields: Record<string, unknown>) => () => [
  "enqueue",
  JSON.stringify({ command: "true", ...fields }),
];

const CASES: BadInputCase[] = [
  {
    intent: "an unknown policy",
    args: enqueue("--unique", "held", "--unique-policy", "merge", "--", "true"),
    code: USAGE,
    message: /Invalid --unique-policy "merge": expected "keep", "replace" or "debounce"/,
  },
  {
    intent: "a policy in capitals",
    args: enqueue("--unique", "held", "--unique-policy", "Replace", "--", "true"),
    code: USAGE,
    message: /--unique-policy "Replace"/,
  },
  {
    intent: "an empty policy",
    args: enqueue("--unique", "held", "--unique-policy", "", "--", "true"),
    code: USAGE,
    message: /--unique-policy ""/,
  },
  {
    intent: "--unique-policy without --unique",
    args: enqueue("--unique-policy", "replace", "--", "true"),
    code: USAGE,
    message: /needs a unique key/,
  },
  {
    intent: "--debounce-max without a policy",
    args: enqueue("--unique", "held", "--debounce-max", "5m", "--", "true"),
    code: USAGE,
    message: /needs unique_policy "debounce"/,
  },
  {
    intent: "--debounce-max with replace",
    args: enqueue(
      "--unique",
      "held",
      "--unique-policy",
      "replace",
      "--debounce-max",
      "5m",
      "--",
      "true",
    ),
    code: USAGE,
    message: /needs unique_policy "debounce"/,
  },
  {
    intent: "a negative --debounce-max",
    args: enqueue(
      "--unique",
      "held",
      "--unique-policy",
      "debounce",
      "--debounce-max=-5m",
      "--",
      "true",
    ),
    code: USAGE,
    message: /--debounce-max/,
  },
  {
    intent: "a --debounce-max that is no duration",
    args: enqueue(
      "--unique",
      "held",
      "--unique-policy",
      "debounce",
      "--debounce-max",
      "soon",
      "--",
      "true",
    ),
    code: USAGE,
    message: /--debounce-max "soon"/,
  },
  {
    intent: "a --debounce-max over 100 years",
    args: enqueue(
      "--unique",
      "held",
      "--unique-policy",
      "debounce",
      "--debounce-max",
      "99999999d",
      "--",
      "true",
    ),
    code: USAGE,
    message: /--debounce-max/,
  },
  {
    intent: "a replace whose other flag is bad: the holder stays",
    args: enqueue(
      "--unique",
      "held",
      "--unique-policy",
      "replace",
      "--delay",
      "soon",
      "--",
      "true",
    ),
    code: USAGE,
    message: /--delay/,
  },
  {
    intent: "unique_policy not a string",
    args: enqueueJson({ unique_key: "held", unique_policy: 1 }),
    code: USAGE,
    message: /Invalid unique_policy 1/,
  },
  {
    intent: "an unknown unique_policy in JSON",
    args: enqueueJson({ unique_key: "held", unique_policy: "latest" }),
    code: USAGE,
    message: /unique_policy "latest"/,
  },
  {
    intent: "unique_policy without unique_key in JSON",
    args: enqueueJson({ unique_policy: "debounce" }),
    code: USAGE,
    message: /needs a unique key/,
  },
  {
    intent: "a negative debounce_max in JSON",
    args: enqueueJson({ unique_key: "held", unique_policy: "debounce", debounce_max: -1 }),
    code: USAGE,
    message: /debounce_max/,
  },
  {
    intent: "debounce_max as garbage text in JSON",
    args: enqueueJson({ unique_key: "held", unique_policy: "debounce", debounce_max: "1x" }),
    code: USAGE,
    message: /debounce_max "1x"/,
  },
  {
    intent: "debounce_max without the debounce policy in JSON",
    args: enqueueJson({ unique_key: "held", debounce_max: 60 }),
    code: USAGE,
    message: /needs unique_policy "debounce"/,
  },
  {
    intent: "a file line with a policy but no key names its line, and adds no line",
    args: async (sandbox: Sandbox) => {
      const path = `${sandbox.dir}/jobs.jsonl`;
      await Deno.writeTextFile(
        path,
        '{"command":"true","unique_key":"held","unique_policy":"replace"}\n' +
          '{"command":"true","unique_policy":"replace"}\n',
      );
      return ["enqueue", "--file", path];
    },
    code: USAGE,
    message: /^queuectl: Line 2 of ".*jobs\.jsonl": .*needs a unique key/,
  },
  {
    intent: "--unique-policy as a default for --file lines without a key",
    args: async (sandbox: Sandbox) => {
      const path = `${sandbox.dir}/jobs.jsonl`;
      await Deno.writeTextFile(path, '{"command":"true"}\n');
      return ["enqueue", "--unique-policy", "debounce", "--file", path];
    },
    code: USAGE,
    message: /Line 1 .*needs a unique key/,
  },
];

/** Seeded on top of the common data: a waiting job holding the key "held". */
const UNIQUE_SEED = {
  async seed(sandbox: Sandbox) {
    await sandbox.ok([
      "enqueue",
      "--id",
      "holder",
      "--unique",
      "held",
      "--delay",
      "1h",
      "--",
      "true",
    ]);
  },
  markers: ['"unique_key":"held"'],
};

badInputTest(
  "bad unique-policy input exits 2 with one line on stderr, and changes nothing",
  CASES,
  UNIQUE_SEED,
);

onEveryStore.test("POST /api/jobs refuses a bad unique_policy or debounce_max with a 400, and stores nothing", async (t) => {
  await using sandbox = await makeSandbox();
  await sandbox.ok([
    "enqueue",
    "--id",
    "holder",
    "--unique",
    "held",
    "--delay",
    "1h",
    "--",
    "true",
  ]);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["an unknown policy", { unique_key: "held", unique_policy: "merge" }, /unique_policy "merge"/],
    ["a policy without a key", { unique_policy: "replace" }, /needs a unique key/],
    ["a cap without debounce", { unique_key: "held", debounce_max: "5m" }, /"debounce"/],
    [
      "a negative cap",
      { unique_key: "held", unique_policy: "debounce", debounce_max: -5 },
      /debounce_max/,
    ],
  ];
  await withDashboard(sandbox, [], async (dashboard) => {
    for (const [intent, fields, message] of cases) {
      await t.step(intent, async () => {
        const before = await snapshotDatabase(sandbox);
        const answer = await dashboard.post(
          "/api/jobs",
          JSON.stringify({ command: "true", ...fields }),
        );
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.json.error, message);
        assert.doesNotMatch(answer.json.error, /\n/);
        assert.equal(await snapshotDatabase(sandbox), before);
      });
    }
  });
});
