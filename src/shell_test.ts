import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { defaultShell, shellFamily, shellInvocation, validateShell } from "./shell.ts";

Deno.test("validateShell() takes the known names in any case, and absolute paths as given", () => {
  const cases: [given: string, stored: string, intent: string][] = [
    ["sh", "sh", "the Unix default"],
    ["BASH", "bash", "names are stored in lower case"],
    ["PowerShell", "powershell", "Windows PowerShell 5.1, as Windows users write it"],
    ["cmd", "cmd", "the Windows default"],
    ["/usr/local/bin/fish", "/usr/local/bin/fish", "a Unix path"],
    [
      "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
      "C:\\Program Files\\PowerShell\\7\\pwsh.exe",
      "a Windows path",
    ],
    ["c:/msys64/usr/bin/bash.exe", "c:/msys64/usr/bin/bash.exe", "a Windows path with slashes"],
    ["\\\\server\\tools\\sh.exe", "\\\\server\\tools\\sh.exe", "a UNC path"],
  ];
  for (const [given, stored, intent] of cases) assert.equal(validateShell(given), stored, intent);
});

Deno.test("validateShell() refuses anything else with a usage error that quotes it and lists the choices", () => {
  const cases: [value: unknown, intent: string][] = [
    ["tcsh", "a shell queuectl does not know how to call"],
    ["bin/bash", "a relative path: it would depend on the worker's directory"],
    ["", "empty"],
    ["/bin/sh\0x", "a NUL byte"],
    [7, "not a string"],
    ["/" + "a".repeat(1024), "longer than any real path"],
  ];
  for (const [value, intent] of cases) {
    assert.throws(() => validateShell(value, "--shell"), (error: unknown) => {
      assert.ok(error instanceof UsageError, intent);
      assert.match(error.message, /^Invalid --shell .*: use sh, bash, .* or an absolute path/);
      return true;
    }, intent);
  }
});

Deno.test("defaultShell() is sh on Unix and cmd on Windows", () => {
  assert.equal(defaultShell("linux"), "sh");
  assert.equal(defaultShell("darwin"), "sh");
  assert.equal(defaultShell("windows"), "cmd");
});

Deno.test("shellFamily() knows a path by its file name, and takes an unknown binary for sh -c", () => {
  assert.equal(shellFamily("/opt/homebrew/bin/fish"), "fish");
  assert.equal(shellFamily("C:\\Program Files\\PowerShell\\7\\pwsh.exe"), "powershell");
  assert.equal(shellFamily("C:\\Windows\\System32\\CMD.EXE"), "cmd");
  assert.equal(shellFamily("/usr/bin/bash"), "posix");
  assert.equal(shellFamily("/opt/bin/mksh"), "posix");
});

Deno.test("shellInvocation() maps each shell to its program and arguments", () => {
  const command = 'echo "a b" && exit 3';
  const cases: [shell: string, program: string, args: string[], raw: boolean][] = [
    ["sh", "sh", ["-c", command], false],
    ["bash", "bash", ["-c", command], false],
    ["zsh", "zsh", ["-c", command], false],
    ["dash", "dash", ["-c", command], false],
    ["ksh", "ksh", ["-c", command], false],
    ["fish", "fish", ["-c", command], false],
    ["/opt/bin/mksh", "/opt/bin/mksh", ["-c", command], false],
    ["pwsh", "pwsh", ["-NoProfile", "-NonInteractive", "-Command", command], false],
    ["powershell", "powershell", ["-NoProfile", "-NonInteractive", "-Command", command], false],
    // cmd.exe gets its line unquoted: /s strips exactly the outer quotes, and nothing else.
    ["cmd", "cmd.exe", ["/d", "/s", "/c", `"${command}"`], true],
    [
      "C:\\Windows\\System32\\cmd.exe",
      "C:\\Windows\\System32\\cmd.exe",
      ["/d", "/s", "/c", `"${command}"`],
      true,
    ],
  ];
  for (const [shell, program, args, rawArguments] of cases) {
    assert.deepEqual(shellInvocation(shell, command), { program, args, rawArguments }, shell);
  }
});
