/**
 * Bad input to rate limits and group limits (`queue set-rate`, `queue set-group-concurrency`,
 * `enqueue --group-key` and `group_key`), table-driven like `bad_input_options_test.ts`: one
 * wrong command line against a database that holds data; the documented exit code, one plain
 * line on stderr, nothing on stdout, nothing changed.
 *
 * @module
 */
import { type BadInputCase, badInputTest, USAGE } from "../helpers/bad_input.ts";

const enqueueWith = (...args: string[]) => () => ["enqueue", ...args, "--", "true"];
const enqueueJson = (job: Record<string, unknown>) => () => ["enqueue", JSON.stringify(job)];

const CASES: BadInputCase[] = [
  {
    intent: "queue set-rate of zero starts",
    args: () => ["queue", "set-rate", "q", "0/1s"],
    code: USAGE,
    message: /Invalid rate "0\/1s": N must be an integer from 1 to 100000/,
  },
  {
    intent: "queue set-rate that is a word",
    args: () => ["queue", "set-rate", "q", "abc"],
    code: USAGE,
    message: /Invalid rate "abc": expected N\/PERIOD/,
  },
  {
    intent: "queue set-rate over a zero period",
    args: () => ["queue", "set-rate", "q", "10/0s"],
    code: USAGE,
    message: /Invalid rate "10\/0s": the period must be from 1ms to 7d/,
  },
  {
    intent: "queue set-rate of negative starts",
    args: () => ["queue", "set-rate", "q", "-5/1s"],
    code: USAGE,
    message: /"-5\/1s"/,
  },
  {
    intent: "queue set-rate over a period that is not a duration",
    args: () => ["queue", "set-rate", "q", "10/soon"],
    code: USAGE,
    message: /rate period "soon"/,
  },
  {
    intent: "queue set-rate over more than a week",
    args: () => ["queue", "set-rate", "q", "10/8d"],
    code: USAGE,
    message: /from 1ms to 7d/,
  },
  {
    intent: "queue set-rate of a fraction of a start",
    args: () => ["queue", "set-rate", "q", "1.5/1s"],
    code: USAGE,
    message: /"1\.5\/1s"/,
  },
  {
    intent: "queue set-rate without a rate",
    args: () => ["queue", "set-rate", "q"],
    code: USAGE,
    message: /Expected a queue name and a rate, got 1/,
  },
  {
    intent: "queue set-rate of a queue name with a space",
    args: () => ["queue", "set-rate", "bad name", "10/1s"],
    code: USAGE,
    message: /"bad name"/,
  },
  {
    intent: "queue set-group-concurrency to 0",
    args: () => ["queue", "set-group-concurrency", "q", "0"],
    code: USAGE,
    message: /Invalid limit "0": expected an integer from 1 to 100000, or none/,
  },
  {
    intent: "queue set-group-concurrency to a negative number",
    args: () => ["queue", "set-group-concurrency", "q", "-1"],
    code: USAGE,
    message: /"-1"/,
  },
  {
    intent: "queue set-group-concurrency to a word",
    args: () => ["queue", "set-group-concurrency", "q", "abc"],
    code: USAGE,
    message: /"abc"/,
  },
  {
    intent: "queue set-group-concurrency to a fraction",
    args: () => ["queue", "set-group-concurrency", "q", "1.5"],
    code: USAGE,
    message: /"1\.5"/,
  },
  {
    intent: "queue set-group-concurrency without a limit",
    args: () => ["queue", "set-group-concurrency", "q"],
    code: USAGE,
    message: /Expected a queue name and a limit/,
  },
  {
    intent: "queue set-group-concurrency of a queue name with a space",
    args: () => ["queue", "set-group-concurrency", "bad name", "2"],
    code: USAGE,
    message: /"bad name"/,
  },
  {
    intent: "enqueue --group-key that is empty",
    args: enqueueWith("--group-key", ""),
    code: USAGE,
    message: /--group-key "": expected a string of 1 to 256 characters/,
  },
  {
    intent: "enqueue --group-key longer than 256 characters",
    args: enqueueWith("--group-key", "k".repeat(257)),
    code: USAGE,
    message: /--group-key/,
  },
  {
    intent: "enqueue JSON with a group_key that is a number",
    args: enqueueJson({ command: "true", group_key: 7 }),
    code: USAGE,
    message: /Invalid group_key 7/,
  },
  {
    intent: "enqueue JSON with a group_key that is null",
    args: enqueueJson({ command: "true", group_key: null }),
    code: USAGE,
    message: /Invalid group_key null/,
  },
];

badInputTest(
  "bad rate and group limit input exits 2 with one line on stderr and changes nothing",
  CASES,
);
