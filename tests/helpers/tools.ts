/**
 * Tests that drive other programs (zsh, fish, busybox, shellcheck, shasum, zip, systemd-analyze…)
 * declare them with `needsTools`. When one is missing from `PATH`, the test is registered as
 * ignored, its name saying which program it lacks (it shows as ignored, never as passed), or,
 * with `QUEUECTL_REQUIRE_TOOLS=1` (set by `.ci/run`, which installs them), as a test that fails
 * and names the program.
 *
 * @module
 */
import { findExecutable } from "../../src/find_executable.ts";

/** Whether a missing program fails the tests that need it instead of ignoring them. */
export const REQUIRE_TOOLS = Deno.env.get("QUEUECTL_REQUIRE_TOOLS") === "1";

/** The programs of `tools` that are not on this process's `PATH`. */
export function missingTools(tools: string[]): string[] {
  return tools.filter((tool) => findExecutable(tool, Deno.env.get("PATH")) === undefined);
}

/** What a test or a test step is registered with (the shape both share). */
interface Definition {
  name: string;
  ignore?: boolean;
  fn: (context: never) => unknown;
}

/**
 * `definition` when every program of `tools` is on `PATH` (or when the test is ignored anyway);
 * otherwise the same test ignored, or failing under `QUEUECTL_REQUIRE_TOOLS=1`, naming what is
 * missing. Pass the result to `Deno.test` or `t.step`:
 * `Deno.test(needsTools(["zsh"], { name: "…", fn }))`.
 */
export function needsTools<T extends Definition>(tools: string[], definition: T): T {
  const missing = missingTools(tools);
  if (missing.length === 0 || definition.ignore) return definition;
  const lacking = `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not on PATH`;
  if (!REQUIRE_TOOLS) {
    return { ...definition, name: `${definition.name} [ignored: ${lacking}]`, ignore: true };
  }
  return {
    ...definition,
    fn: () => {
      throw new Error(
        `QUEUECTL_REQUIRE_TOOLS=1 but ${lacking} (.ci/run installs them with apt-get)`,
      );
    },
  };
}
