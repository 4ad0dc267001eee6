import assert from "node:assert/strict";
import {
  configFromOverrides,
  defaultConfig,
  parseConfigValue,
  storedConfigValue,
} from "./config.ts";
import { UsageError } from "./errors.ts";

Deno.test("the shell key defaults to this platform's shell and takes the names and paths jobs take", () => {
  assert.equal(defaultConfig().shell, Deno.build.os === "windows" ? "cmd" : "sh");
  assert.equal(parseConfigValue("shell", " Bash "), "bash");
  assert.equal(parseConfigValue("shell", "/opt/bin/fish"), "/opt/bin/fish");
  assert.throws(
    () => parseConfigValue("shell", "tcsh"),
    (error: unknown) =>
      error instanceof UsageError &&
      /^Invalid value "tcsh" for shell: expected sh, bash, .* or an absolute path/.test(
        error.message,
      ),
  );
});

Deno.test("configFromOverrides() reads a stored shell, and keeps the default for one it cannot", () => {
  assert.equal(configFromOverrides({ shell: "pwsh" }).shell, "pwsh");
  assert.equal(configFromOverrides({ shell: "nushell" }).shell, defaultConfig().shell);
  assert.equal(configFromOverrides({ max_retries: "7", shell: "zsh" }).maxRetries, 7);
});

Deno.test("storedConfigValue() reads numbers as numbers and shells as text", () => {
  assert.equal(storedConfigValue("max_retries", "7"), 7);
  assert.equal(storedConfigValue("shell", "zsh"), "zsh");
  // Written by a newer version that knows more: shown as it is stored.
  assert.equal(storedConfigValue("shell", "nushell"), "nushell");
});
