/**
 * Bad input, table-driven: every case runs one wrong command line against a database that holds
 * data (a completed job, a dead one, a pending one, a config override) and checks that queuectl
 * answers with the documented exit code and one plain line on stderr, prints nothing on stdout,
 * and changes nothing: not the database, not a file it was pointed at.
 *
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type BadInputCase,
  badInputTest,
  CONFLICT,
  NOT_FOUND,
  STORE_UNAVAILABLE,
  USAGE,
} from "../helpers/bad_input.ts";

const enqueue = (json: string) => () => ["enqueue", json];

const CASES: BadInputCase[] = [
  {
    intent: "enqueue malformed JSON",
    args: enqueue('{"command": "echo hi"'),
    code: USAGE,
    message: /JSON/,
  },
  {
    intent: "enqueue a JSON array of jobs instead of one job object",
    args: enqueue('[{"command":"echo hi"}]'),
    code: USAGE,
    message: /object/,
  },
  {
    // A single argument that is not JSON is a shell command ("42" may be a program), so this
    // case uses an object with garbage after it instead.
    intent: "enqueue a JSON object followed by trailing text",
    args: enqueue('{"command":"true"} and more'),
    code: USAGE,
    message: /JSON/,
  },
  {
    intent: "enqueue a job with no command",
    args: enqueue('{"id":"nocommand"}'),
    code: USAGE,
    message: /command/,
  },
  {
    intent: "enqueue a job whose command is empty",
    args: enqueue('{"command":"   "}'),
    code: USAGE,
    message: /command/,
  },
  {
    intent: "enqueue a job whose command is a number",
    args: enqueue('{"command":42}'),
    code: USAGE,
    message: /command/,
  },
  {
    intent: "max_retries given as a string",
    args: enqueue('{"command":"true","max_retries":"3"}'),
    code: USAGE,
    message: /max_retries/,
  },
  {
    intent: "max_retries negative",
    args: enqueue('{"command":"true","max_retries":-1}'),
    code: USAGE,
    message: /max_retries/,
  },
  {
    intent: "max_retries not an integer",
    args: enqueue('{"command":"true","max_retries":1.5}'),
    code: USAGE,
    message: /max_retries/,
  },
  {
    intent: "a field queuectl does not know",
    args: enqueue('{"command":"true","priority_level":9}'),
    code: USAGE,
    message: /priority_level/,
  },
  {
    intent: "an id that exists already",
    args: enqueue('{"id":"done","command":"true"}'),
    code: CONFLICT,
    message: /done/,
  },
  {
    intent: "an id with characters ids may not have",
    args: enqueue('{"id":"bad id/../x","command":"true"}'),
    code: USAGE,
    message: /id/,
  },
  {
    intent: "info about a job that does not exist",
    args: () => ["info", "no-such-job"],
    code: NOT_FOUND,
    message: /no-such-job/,
  },
  {
    intent: "dlq retry of a job that does not exist",
    args: () => ["dlq", "retry", "no-such-job"],
    code: NOT_FOUND,
    message: /no-such-job/,
  },
  {
    intent: "list with a state that does not exist",
    args: () => ["list", "--state", "finished"],
    code: USAGE,
    message: /finished/,
  },
  {
    intent: "config set of a key that does not exist",
    args: () => ["config", "set", "nope", "1"],
    code: USAGE,
    message: /nope/,
  },
  {
    intent: "config get of a key that does not exist",
    args: () => ["config", "get", "nope"],
    code: USAGE,
    message: /nope/,
  },
  {
    intent: "config set max_retries to a negative number",
    args: () => ["config", "set", "max_retries", "-1"],
    code: USAGE,
    message: /"-1" for max_retries: expected an integer from 0/,
  },
  {
    intent: "config set max_retries to a word",
    args: () => ["config", "set", "max_retries", "abc"],
    code: USAGE,
    message: /max_retries/,
  },
  {
    intent: "config set backoff_base 0 (no backoff at all)",
    args: () => ["config", "set", "backoff_base", "0"],
    code: USAGE,
    message: /backoff_base/,
  },
  {
    intent: "config set poll_interval 0 (a busy loop)",
    args: () => ["config", "set", "poll_interval", "0"],
    code: USAGE,
    message: /poll_interval/,
  },
  {
    intent: "worker start with no worker slots",
    args: () => ["worker", "start", "--count", "0"],
    code: USAGE,
    message: /--count/,
  },
  {
    intent: "worker start with a count that is not a number",
    args: () => ["worker", "start", "--count", "abc"],
    code: USAGE,
    message: /--count/,
  },
  {
    intent: "a flag the command does not have",
    args: () => ["list", "--bogus"],
    code: USAGE,
    message: /--bogus/,
  },
  {
    intent: "a command that does not exist",
    args: () => ["nonexistent_cmd_xyz"],
    code: USAGE,
    message: /nonexistent_cmd_xyz/,
  },
  {
    intent: "a command group without its subcommand",
    args: () => ["dlq"],
    code: USAGE,
    message: /dlq/,
  },
  {
    intent: "dlq retry of a completed job",
    args: () => ["dlq", "retry", "done"],
    code: CONFLICT,
    message: /completed/,
  },
  {
    intent: "dlq retry of a pending job (even next to a dead one)",
    args: () => ["dlq", "retry", "dead", "waiting"],
    code: CONFLICT,
    message: /waiting/,
  },
  {
    intent: "dlq retry with no id",
    args: () => ["dlq", "retry"],
    code: USAGE,
    message: /id/,
  },
  {
    intent: "--db inside a path whose parent is a regular file",
    args: async (sandbox) => {
      await Deno.writeTextFile(join(sandbox.dir, "afile"), "just text\n");
      return ["--db", join(sandbox.dir, "afile", "q.db"), "list"];
    },
    code: STORE_UNAVAILABLE,
    message: /afile/,
    // About a SQLite file path, whichever store the sandbox uses: run once, on SQLite.
    sqliteOnly: true,
    files: (sandbox) => [join(sandbox.dir, "afile")],
  },
  {
    intent: "--db pointing at a text file",
    args: async (sandbox) => {
      await Deno.writeTextFile(join(sandbox.dir, "notes.txt"), "these are my notes\n".repeat(50));
      return ["--db", join(sandbox.dir, "notes.txt"), "enqueue", '{"command":"true"}'];
    },
    code: STORE_UNAVAILABLE,
    message: /notes\.txt/,
    // About a file that is not a queuectl database (a SQLite location): run once, on SQLite.
    sqliteOnly: true,
    files: (sandbox) => [join(sandbox.dir, "notes.txt")],
  },
  {
    intent: "--db pointing at another program's SQLite database",
    args: (sandbox) => {
      const path = join(sandbox.dir, "other.db");
      const db = new DatabaseSync(path);
      db.exec("CREATE TABLE foo (bar TEXT); INSERT INTO foo VALUES ('keep me')");
      db.close();
      return ["--db", path, "enqueue", '{"command":"true"}'];
    },
    code: STORE_UNAVAILABLE,
    message: /other\.db/,
    // About another program's SQLite file (postgres_location_test.ts has a foreign schema).
    sqliteOnly: true,
    files: (sandbox) => [join(sandbox.dir, "other.db")],
  },
  {
    intent: "QUEUECTL_DB set to a PostgreSQL server that does not answer",
    args: () => ["list"],
    env: { QUEUECTL_DB: "postgres://queuectl:secret@127.0.0.1:1/queuectl" },
    code: STORE_UNAVAILABLE,
    // Names the server, never its password.
    message:
      /^(?!.*secret)queuectl: Cannot reach PostgreSQL at postgres:\/\/queuectl:\*\*\*@127\.0\.0\.1:1\//,
  },
  {
    intent: "a log level that does not exist",
    args: () => ["--log-level", "loud", "list"],
    code: USAGE,
    message: /loud/,
  },
];

badInputTest(
  "bad input exits with its documented code, one line on stderr, and changes nothing",
  CASES,
);
