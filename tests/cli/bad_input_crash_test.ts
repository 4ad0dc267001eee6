/**
 * Bad values for the crash-safety knobs (heartbeats, leases, time limits, stop timeouts) are
 * refused as usage errors: exit code 2, one line on stderr starting `queuectl: `, no stack
 * trace, and the database left exactly as it was.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, snapshotDatabase } from "../helpers/cli.ts";

interface BadInput {
  /** What is wrong, for the test name. */
  what: string;
  args: string[];
  /** The error line should say this (it names the culprit). */
  mentions: RegExp;
  /** The error line must not say this (a wrong diagnosis). */
  notMentions?: RegExp;
}

const CASES: BadInput[] = [
  {
    what: "a heartbeat interval of 0",
    args: ["config", "set", "heartbeat_interval", "0"],
    mentions: /heartbeat_interval/,
  },
  {
    what: "a lease of a single heartbeat",
    args: ["config", "set", "lease_heartbeats", "1"],
    mentions: /lease_heartbeats/,
  },
  {
    what: "a negative default job timeout",
    args: ["config", "set", "job_timeout", "-1"],
    mentions: /job_timeout/,
  },
  {
    what: "a kill grace that is not a number",
    args: ["config", "set", "kill_grace", "abc"],
    mentions: /kill_grace/,
  },
  {
    what: "a negative --timeout on enqueue",
    args: ["enqueue", "--timeout", "-5", "--", "true"],
    mentions: /--timeout/,
    notMentions: /takes no value/,
  },
  {
    what: "a negative --timeout=VALUE on enqueue",
    args: ["enqueue", "--timeout=-5", "--", "true"],
    mentions: /--timeout/,
  },
  {
    what: "a --timeout on enqueue that is not a number",
    args: ["enqueue", "--timeout", "abc", "--", "true"],
    mentions: /--timeout/,
  },
  {
    what: "a job JSON timeout given as a string",
    args: ["enqueue", '{"command":"true","timeout":"10"}'],
    mentions: /timeout/,
  },
  {
    what: "a negative --timeout on worker stop",
    args: ["worker", "stop", "--timeout", "-1"],
    mentions: /--timeout/,
    notMentions: /takes no value/,
  },
  {
    what: "a negative --timeout=VALUE on worker stop",
    args: ["worker", "stop", "--timeout=-1"],
    mentions: /--timeout/,
  },
];

for (const { what, args, mentions, notMentions } of CASES) {
  onEveryStore.test(`${what} is refused with a one-line usage error and changes nothing (queuectl ${args.join(" ")})`, async () => {
    await using sandbox = await makeSandbox();
    await sandbox.ok(["enqueue", "--id", "existing", "--", "true"]);
    await sandbox.ok(["config", "set", "max_retries", "2"]);
    const before = await snapshotDatabase(sandbox);
    assert.notEqual(before, null);

    const result = await sandbox.run(args);

    assert.equal(result.code, 2, `exit code; stderr: ${result.stderr}`);
    assert.equal(result.stdout, "");
    const lines = result.stderr.split("\n");
    assert.equal(lines.length, 2, `one line on stderr, got ${JSON.stringify(result.stderr)}`);
    assert.equal(lines[1], "");
    assert.match(lines[0], /^queuectl: /);
    assert.doesNotMatch(result.stderr, /^\s+at |Uncaught|\.ts:\d+:\d+/m);
    assert.match(lines[0], mentions);
    if (notMentions) assert.doesNotMatch(lines[0], notMentions);
    assert.equal(await snapshotDatabase(sandbox), before, "the database changed");
  });
}
