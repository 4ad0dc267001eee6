import assert from "node:assert/strict";
import { resolveCommand } from "./parse.ts";

const COMMANDS = [{ path: ["enqueue"] }, { path: ["dlq", "list"] }, { path: ["dlq", "retry"] }];

Deno.test("resolveCommand() skips global options and their values before the command words", () => {
  assert.deepEqual(resolveCommand(["--db", "q.db", "-v", "enqueue", "x"], COMMANDS), {
    kind: "command",
    command: COMMANDS[0],
    args: ["--db", "q.db", "-v", "x"],
  });
  // --db takes its value even when it looks like a command word.
  assert.deepEqual(resolveCommand(["--db", "enqueue", "dlq", "list"], COMMANDS), {
    kind: "command",
    command: COMMANDS[1],
    args: ["--db", "enqueue"],
  });
});

Deno.test("resolveCommand() never takes a negative number for a command word", () => {
  // `--priority` is the command's option: resolved before the command is known, it takes no
  // value, so -5 stands alone; it must not stop the search for `enqueue`.
  assert.deepEqual(resolveCommand(["--priority", "-5", "enqueue", "--", "true"], COMMANDS), {
    kind: "command",
    command: COMMANDS[0],
    args: ["--priority", "-5", "--", "true"],
  });
  assert.deepEqual(resolveCommand(["dlq", "-5"], COMMANDS), {
    kind: "group",
    path: ["dlq"],
    args: ["-5"],
  });
});

Deno.test("resolveCommand() stops at `--` and names an unknown word with the nearest one", () => {
  assert.deepEqual(resolveCommand(["--", "enqueue"], COMMANDS), {
    kind: "group",
    path: [],
    args: ["--", "enqueue"],
  });
  assert.throws(
    () => resolveCommand(["dlq", "lsit"], COMMANDS),
    { message: 'Unknown command "dlq lsit". Did you mean "dlq list"?' },
  );
});
