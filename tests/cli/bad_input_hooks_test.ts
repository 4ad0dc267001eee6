/**
 * Bad input to finish hooks, table-driven like `bad_input_test.ts`: `enqueue --on-finish` and
 * `--on-finish-when`, the JSON fields `on_finish` and `on_finish_when`, and `config set` of
 * `on_completed`, `on_dead`, `on_canceled`. Every case runs against a database that holds data
 * and checks the documented exit code, one plain line on stderr, nothing on stdout, and no
 * change.
 *
 * @module
 */
import { type BadInputCase, badInputTest, USAGE } from "../helpers/bad_input.ts";

const enqueueWith = (...args: string[]) => () => ["enqueue", ...args, "--", "true"];
const enqueueJson = (job: Record<string, unknown>) => () => ["enqueue", JSON.stringify(job)];
const configSet = (key: string, value: string) => () => ["config", "set", key, value];

/** The longest command enqueue takes (127 KiB), and one byte more. */
const TOO_LONG = "x".repeat(127 * 1024 + 1);

const CASES: BadInputCase[] = [
  // --- enqueue flags ---------------------------------------------------------------------------
  {
    intent: "enqueue --on-finish that is empty",
    args: enqueueWith("--on-finish", ""),
    code: USAGE,
    message: /--on-finish: it is empty/,
  },
  {
    intent: "enqueue --on-finish of blanks only",
    args: enqueueWith("--on-finish", "   "),
    code: USAGE,
    message: /--on-finish: it is empty/,
  },
  {
    intent: "enqueue --on-finish with a URL that does not parse",
    args: enqueueWith("--on-finish", "http://exa mple.com/hook"),
    code: USAGE,
    message: /--on-finish: "http:\/\/exa mple\.com\/hook" starts like a webhook URL/,
  },
  {
    intent: "enqueue --on-finish with a URL without a host",
    args: enqueueWith("--on-finish", "https://"),
    code: USAGE,
    message: /--on-finish/,
  },
  {
    intent: "enqueue --on-finish over the command limit",
    args: enqueueWith("--on-finish", TOO_LONG),
    code: USAGE,
    message: /--on-finish: it is \d+ bytes long/,
  },
  {
    intent: "enqueue --on-finish-when with an unknown outcome",
    args: enqueueWith("--on-finish", "./hook.sh", "--on-finish-when", "dead,failed"),
    code: USAGE,
    message: /--on-finish-when: "failed" is not an outcome \(completed, dead, canceled\)/,
  },
  {
    intent: "enqueue --on-finish-when that is empty",
    args: enqueueWith("--on-finish", "./hook.sh", "--on-finish-when", ""),
    code: USAGE,
    message: /--on-finish-when/,
  },
  {
    intent: "enqueue --on-finish-when without --on-finish",
    args: enqueueWith("--on-finish-when", "dead"),
    code: USAGE,
    message: /needs a hook, on_finish \(--on-finish\)/,
  },
  // --- enqueue JSON ----------------------------------------------------------------------------
  {
    intent: "enqueue JSON with on_finish that is a number",
    args: enqueueJson({ command: "true", on_finish: 5 }),
    code: USAGE,
    message: /on_finish: expected a string, got a number/,
  },
  {
    intent: "enqueue JSON with on_finish null",
    args: enqueueJson({ command: "true", on_finish: null }),
    code: USAGE,
    message: /on_finish/,
  },
  {
    intent: "enqueue JSON with on_finish containing a NUL byte",
    args: enqueueJson({ command: "true", on_finish: "echo \u0000" }),
    code: USAGE,
    message: /on_finish: it contains a NUL byte/,
  },
  {
    intent: "enqueue JSON with on_finish_when an empty array",
    args: enqueueJson({ command: "true", on_finish: "./hook.sh", on_finish_when: [] }),
    code: USAGE,
    message: /on_finish_when: expected a list of outcomes/,
  },
  {
    intent: "enqueue JSON with on_finish_when naming an unknown outcome",
    args: enqueueJson({ command: "true", on_finish: "./hook.sh", on_finish_when: ["done"] }),
    code: USAGE,
    message: /on_finish_when: "done" is not an outcome/,
  },
  {
    intent: "enqueue JSON with on_finish_when holding a number",
    args: enqueueJson({ command: "true", on_finish: "./hook.sh", on_finish_when: ["dead", 1] }),
    code: USAGE,
    message: /on_finish_when: expected a list of outcomes/,
  },
  {
    intent: "enqueue JSON with on_finish_when but no on_finish",
    args: enqueueJson({ command: "true", on_finish_when: ["dead"] }),
    code: USAGE,
    message: /needs a hook/,
  },
  // --- config set ------------------------------------------------------------------------------
  {
    intent: "config set on_dead to an empty value (unset removes a hook)",
    args: configSet("on_dead", ""),
    code: USAGE,
    message: /Invalid value "" for on_dead: .*config unset on_dead/,
  },
  {
    intent: "config set on_completed to blanks",
    args: configSet("on-completed", "  "),
    code: USAGE,
    message: /on_completed/,
  },
  {
    intent: "config set on_canceled to a URL that does not parse",
    args: configSet("on_canceled", "https://bad host/"),
    code: USAGE,
    message: /Invalid value "https:\/\/bad host\/" for on_canceled: .*starts like a webhook URL/,
  },
  {
    intent: "config set of a hook for a state that is not final",
    args: configSet("on_failed", "./hook.sh"),
    code: USAGE,
    message: /Unknown config key "on_failed"/,
  },
];

badInputTest(
  "bad finish-hook input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
);
