/**
 * Choosing a job's shell, end to end through the real CLI on every store: a job's own `shell`
 * (JSON, `--shell`), the `shell` config for jobs without one (read when the job runs, so it
 * applies to jobs already queued), quoting for the job's shell, `info --json`, schedules, and
 * bad values refused with exit 2 and nothing stored.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type BadInputCase, badInputTest, USAGE } from "../helpers/bad_input.ts";
import { makeSandbox, onEveryStore } from "../helpers/cli.ts";
import {
  configure,
  enqueue,
  type Json,
  runsOf,
  startWorker,
  stopWorker,
  waitForState,
} from "../helpers/jobs.ts";

onEveryStore.test("a job runs in its own shell, else in the shell config as it is when the job runs", async () => {
  await using sandbox = await makeSandbox();
  await configure(sandbox, { poll_interval: "0.1" });
  const bashOnly = await enqueue(sandbox, [
    JSON.stringify({ command: "[[ 1 == 1 ]] && echo $BASH_VERSION", shell: "bash" }),
  ]);
  // `$0` names the shell that runs the command.
  const noShell = await enqueue(sandbox, ["--", 'echo "$0"']);
  assert.equal((await sandbox.info(noShell)).shell, null, "no shell of its own");
  // After the job was enqueued: it still applies, as the job has no shell of its own.
  await configure(sandbox, { shell: "bash" });
  const ownSh = await enqueue(sandbox, ["--shell", "sh", "--", 'echo "$0"']);
  const worker = await startWorker(sandbox);
  const outputOf = async (id: string) => {
    const job = await waitForState(sandbox, id, "completed");
    return { job, stdout: String(runsOf(job)[0].stdout) };
  };
  const bash = await outputOf(bashOnly);
  assert.equal(bash.job.shell, "bash");
  assert.match(bash.stdout, /^\d+\.\d+\.\d+/, "bash printed its version");
  const configured = await outputOf(noShell);
  assert.equal(configured.job.shell, null);
  assert.equal(configured.stdout, "bash\n", "the config's shell ran it");
  const own = await outputOf(ownSh);
  assert.equal(own.job.shell, "sh");
  assert.equal(own.stdout, "sh\n", "its own shell beats the config");
  await stopWorker(worker);
});

onEveryStore.test("shell is stored as given, in list --json and info, and config lists its value", async () => {
  await using sandbox = await makeSandbox();
  assert.equal((await sandbox.ok(["config", "get", "shell"])).trim(), "sh");
  const fish = await enqueue(sandbox, ["--shell", "/usr/bin/fish", "--", "echo hi"]);
  const pwsh = await enqueue(sandbox, ['{"command":"Get-Date","shell":"PowerShell"}']);
  const listed = JSON.parse(await sandbox.ok(["list", "--json"])) as Json[];
  assert.deepEqual(
    Object.fromEntries(listed.map((job) => [job.id, job.shell])),
    { [fish]: "/usr/bin/fish", [pwsh]: "powershell" },
  );
  assert.match(await sandbox.ok(["info", pwsh]), /^shell\s+powershell$/m);
  await sandbox.ok(["config", "set", "shell", "ZSH"]);
  const config = JSON.parse(await sandbox.ok(["config", "list", "--json"])) as Json;
  assert.deepEqual(config.shell, {
    value: "zsh",
    default: "sh",
    overridden: true,
    description: (config.shell as Json).description,
  });
});

onEveryStore.test("several arguments after -- are quoted for the job's shell", async () => {
  await using sandbox = await makeSandbox();
  const commandOf = async (args: string[]) =>
    (await sandbox.info(await enqueue(sandbox, args))).command;
  assert.equal(await commandOf(["--", "echo", "it's"]), `echo 'it'\\''s'`);
  assert.equal(await commandOf(["--shell", "pwsh", "--", "echo", "it's"]), "echo 'it''s'");
  assert.equal(await commandOf(["--shell", "cmd", "--", "echo", "a&b"]), 'echo ^"a^&b^"');
  // One argument is a command line already: it is kept as it is, for any shell.
  assert.equal(await commandOf(["--shell", "cmd", "--", "echo a&b"]), "echo a&b");
});

onEveryStore.test("schedule add --shell gives the shell to every job it enqueues", async () => {
  await using sandbox = await makeSandbox();
  await sandbox.ok(["schedule", "add", "nightly", "@daily", "--shell", "bash", "--", "true"]);
  const [schedule] = JSON.parse(await sandbox.ok(["schedule", "list", "--json"])) as Json[];
  assert.equal((schedule.job as Json).shell, "bash");
});

/** Writes a JSON-lines file whose second line names an unknown shell. */
async function badShellFile(sandbox: { dir: string }): Promise<string> {
  const path = join(sandbox.dir, "jobs.jsonl");
  await Deno.writeTextFile(path, '{"command":"true"}\n{"command":"true","shell":"tcsh"}\n');
  return path;
}

const CASES: BadInputCase[] = [
  {
    intent: "enqueue --shell that queuectl does not know",
    args: () => ["enqueue", "--shell", "tcsh", "--", "true"],
    code: USAGE,
    message: /Invalid --shell "tcsh": use sh, bash, .* or an absolute path to a shell/,
  },
  {
    intent: "enqueue --shell with a relative path",
    args: () => ["enqueue", "--shell", "bin/bash", "--", "true"],
    code: USAGE,
    message: /Invalid --shell "bin\/bash"/,
  },
  {
    intent: "enqueue JSON whose shell is unknown",
    args: () => ["enqueue", '{"command":"true","shell":"tcsh"}'],
    code: USAGE,
    message: /Invalid shell "tcsh"/,
  },
  {
    intent: "enqueue JSON whose shell is not a string",
    args: () => ["enqueue", '{"command":"true","shell":5}'],
    code: USAGE,
    message: /Invalid shell 5/,
  },
  {
    intent: "enqueue --file with an unknown shell on line 2: none of the lines is added",
    args: async (sandbox) => ["enqueue", "--file", await badShellFile(sandbox)],
    code: USAGE,
    message: /Line 2 .*Invalid shell "tcsh"/,
  },
  {
    intent: "config set shell to an unknown shell",
    args: () => ["config", "set", "shell", "tcsh"],
    code: USAGE,
    message: /Invalid value "tcsh" for shell: expected sh, bash, .* or an absolute path/,
  },
  {
    intent: "schedule add --shell that queuectl does not know",
    args: () => ["schedule", "add", "nightly", "@daily", "--shell", "nope", "--", "true"],
    code: USAGE,
    message: /Invalid --shell "nope"/,
  },
];

badInputTest("a bad shell exits 2 with one line on stderr, and nothing is stored", CASES);
