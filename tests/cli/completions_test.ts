/**
 * `queuectl completions` through the real CLI: each shell's script holds every command path and
 * its options and passes the shell's own syntax check, and the bash, zsh and fish scripts
 * complete what they should when the shell runs them (see `../helpers/tools.ts` for when zsh or
 * fish is missing). These need no database, so they run in the SQLite pass only.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMAND_INDEX, loadCommands } from "../../src/cli/command_index.ts";
import { GLOBAL_OPTIONS } from "../../src/cli/command.ts";
import { runCli, sqliteOnly, TEST_STORE } from "../helpers/cli.ts";
import { assertExit } from "../helpers/jobs.ts";
import { needsTools } from "../helpers/tools.ts";

/** Store-independent: once per test run is enough. */
const once = sqliteOnly;

const SHELLS = ["bash", "zsh", "fish"] as const;

async function script(shell: string): Promise<string> {
  const result = await runCli(["completions", shell], {});
  assertExit(result, 0, `completions ${shell}`);
  return result.stdout;
}

/** Runs `program args…` with `input` on stdin; its exit code and output. */
async function run(program: string, args: string[], input = "") {
  const child = new Deno.Command(program, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** Writes the script to a temp file, runs `body` with its path, removes it. */
async function withScriptFile(text: string, body: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "queuectl-completions-" });
  try {
    const path = join(dir, "queuectl-completion");
    await Deno.writeTextFile(path, text);
    await body(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const shell of SHELLS) {
  once.test(`the ${shell} script names every command and each command's options`, async () => {
    const text = await script(shell);
    for (const command of await loadCommands(COMMAND_INDEX)) {
      for (const word of command.path) {
        assert.match(text, new RegExp(`\\b${word}\\b`), `${command.path.join(" ")} in ${shell}`);
      }
      for (const option of Object.keys({ ...command.options, ...GLOBAL_OPTIONS })) {
        const spelled = shell === "fish" ? `-l ${option}` : `--${option}`;
        assert.ok(text.includes(spelled), `${spelled} of ${command.path.join(" ")} in ${shell}`);
      }
    }
    assert.ok(text.includes(shell === "fish" ? "-l count -s c" : "--count"));
  });
}

once.test("the bash script passes bash -n and completes words, subcommands and options", async () => {
  await withScriptFile(await script("bash"), async (path) => {
    const syntax = await run("bash", ["-n", path]);
    assert.equal(syntax.code, 0, syntax.stderr);
    // Each line: the words typed so far (the last one is being completed) → the offers.
    const cases: [string[], string][] = [
      [["queuectl", "wor"], "worker"],
      [["queuectl", "worker", ""], "start stop"],
      [["queuectl", "--db", "/tmp/q.db", "worker", "st"], "start stop"],
      [["queuectl", "worker", "start", "--co"], "--count"],
      [["queuectl", "dlq", "re"], "retry"],
      [["queuectl", "worker", "start", "--log-level", "w"], "warning"],
      [["queuectl", "list", "--state", "de"], "dead"],
      [["queuectl", "completions", "f"], "fish"],
    ];
    const calls = cases.map(([words]) =>
      `COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${
        words.length - 1
      }; COMPREPLY=(); _queuectl; echo "\${COMPREPLY[*]}"`
    ).join("\n");
    const result = await run("bash", ["-c", `source '${path}'\n${calls}`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trimEnd().split("\n"), cases.map(([, offered]) => offered));
  });
});

Deno.test(needsTools(["zsh"], {
  name: "the zsh script passes zsh -n and offers subcommands and options",
  ignore: TEST_STORE !== "sqlite",
  fn: async () => {
    await withScriptFile(await script("zsh"), async (path) => {
      const syntax = await run("zsh", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.stderr);
      // Outside a completion widget, zsh's completion builtins are stood in for by functions
      // that print what they were given.
      const stubs = `
        compdef() { :; }
        _describe() { local -a offered; offered=("\${(@P)4}"); print -r -- \${offered%%:*}; }
        compadd() { local -a offered; offered=("\${(@P)2}"); print -r -- "$offered"; }
        _files() { print -r -- files; }
        _message() { print -r -- value; }`;
      const cases: [string[], RegExp][] = [
        [["queuectl", "wor"], /^enqueue worker .*completions$/],
        [["queuectl", "--db", "/tmp/q.db", "worker", ""], /^start stop$/],
        [["queuectl", "worker", "start", "--"], /^--count -c --queue /],
        [["queuectl", "completions", ""], /^bash zsh fish$/],
        [["queuectl", "--db", ""], /^files$/],
      ];
      const calls = cases.map(([typed]) =>
        `words=(${typed.map((word) => `'${word}'`).join(" ")}); CURRENT=${typed.length}; _queuectl`
      ).join("\n");
      const result = await run("zsh", ["-c", `${stubs}\nsource '${path}'\n${calls}`]);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split("\n");
      cases.forEach(([typed, expected], index) =>
        assert.match(lines[index], expected, typed.join(" "))
      );
    });
  },
}));

Deno.test(needsTools(["fish"], {
  name: "the fish script passes fish -n and completes subcommands and options",
  ignore: TEST_STORE !== "sqlite",
  fn: async () => {
    await withScriptFile(await script("fish"), async (path) => {
      const syntax = await run("fish", ["-n", path]);
      assert.equal(syntax.code, 0, syntax.stderr);
      const offered = async (line: string) => {
        const result = await run("fish", ["-c", `source '${path}'; complete -C '${line}'`]);
        assert.equal(result.code, 0, result.stderr);
        return result.stdout.split("\n").filter(Boolean).map((entry) => entry.split("\t")[0]);
      };
      assert.deepEqual(await offered("queuectl wor"), ["worker"]);
      assert.deepEqual(await offered("queuectl --db /tmp/q.db worker s"), ["start", "stop"]);
      assert.ok((await offered("queuectl worker start --")).includes("--count"));
      assert.deepEqual(await offered("queuectl completions "), ["bash", "fish", "zsh"]);
    });
  },
}));

once.test("completions needs one known shell: exit 2 and one line otherwise", async () => {
  for (const args of [["completions"], ["completions", "tcsh"], ["completions", "bash", "zsh"]]) {
    const result = await runCli(args, {});
    assertExit(result, 2, args.join(" "));
    assert.match(result.stderr, /^queuectl: [^\n]+\n$/);
    assert.equal(result.stdout, "");
  }
});
