import assert from "node:assert/strict";
import { join } from "node:path";
import { needsTools } from "../tests/helpers/tools.ts";
import { shellFamily } from "./shell.ts";
import { commandLineFor } from "./shell_quote.ts";

/** Arguments a quoting mistake would change: each shell must hand them over byte for byte. */
const TRICKY = [
  "plain",
  "two words",
  "",
  "it's",
  'say "hi"',
  "back\\slash\\",
  "\\'",
  "$HOME ${PATH} `id` $(id)",
  "*.ts ? [a]",
  "a;b&c|d>e<f",
  "100% ^caret",
  "{a,b} ~ !bang #hash",
  "line\nbreak\ttab",
  "ünï ✓",
  "--flag=value",
];

/** Runs `argv` through `shell`, quoted for it, and returns the arguments the program saw. */
async function argumentsSeen(shell: string, args: string[], dir: string): Promise<string[]> {
  const script = join(dir, "argv.ts");
  await Deno.writeTextFile(script, "console.log(JSON.stringify(Deno.args));");
  const line = commandLineFor(shellFamily(shell), [Deno.execPath(), "run", script, ...args]);
  const output = await new Deno.Command(shell, {
    args: ["-c", line],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, `${shell} -c failed: ${stderr}\n${line}`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

for (const shell of ["sh", "bash", "dash", "zsh", "fish"]) {
  Deno.test(needsTools([shell], {
    name: `commandLineFor() quotes arguments so that ${shell} hands them over exactly`,
    async fn() {
      const dir = await Deno.makeTempDir();
      try {
        assert.deepEqual(await argumentsSeen(shell, TRICKY, dir), TRICKY);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  }));
}

Deno.test("commandLineFor() leaves plainly safe arguments bare, so the stored command stays readable", () => {
  const argv = ["./build.sh", "--out=dist/x", "v1.2:3"];
  assert.equal(commandLineFor("posix", argv), "./build.sh --out=dist/x v1.2:3");
  assert.equal(commandLineFor("fish", argv), "./build.sh --out=dist/x v1.2:3");
  assert.equal(commandLineFor("powershell", argv), "./build.sh --out=dist/x v1.2:3");
  assert.equal(commandLineFor("cmd", argv), "./build.sh --out=dist/x v1.2:3");
});

Deno.test("commandLineFor() quotes for PowerShell: single quotes, doubled inside, & before a quoted program", () => {
  assert.equal(
    commandLineFor("powershell", ["echo", "it's", "a b", "$HOME", "x,y", "C:\\dir", "‘curly’"]),
    "echo 'it''s' 'a b' '$HOME' 'x,y' C:\\dir '‘‘curly’’'",
  );
  assert.equal(
    commandLineFor("powershell", ["C:\\Program Files\\tool.exe", "a"]),
    "& 'C:\\Program Files\\tool.exe' a",
  );
});

Deno.test("commandLineFor() quotes for cmd.exe: C runtime quotes, then ^ before what cmd acts on", () => {
  const cases: [arg: string, quoted: string, intent: string][] = [
    ["a b", '^"a^ b^"', "a space"],
    ['say "hi"', '^"say^ \\^"hi\\^"^"', "inner quotes, escaped for the program and for cmd"],
    ["100%", '^"100^%^"', "no variable expansion"],
    ["x&y|z", '^"x^&y^|z^"', "no command separators"],
    [
      "C:\\my dir\\",
      '^"C:\\my^ dir\\\\^"',
      "a trailing backslash is doubled before the closing quote",
    ],
    ['a\\"b', '^"a\\\\\\^"b^"', "a backslash before a quote is doubled, and the quote escaped"],
    ["C:\\dir", "C:\\dir", "a plain path stays bare"],
  ];
  for (const [arg, quoted, intent] of cases) {
    assert.equal(commandLineFor("cmd", ["prog", arg]), `prog ${quoted}`, intent);
  }
  // The program is not quoted (cmd would look for a program named with the quotes): escaped.
  assert.equal(commandLineFor("cmd", ["my tool.exe", "a"]), "my^ tool.exe a");
});
