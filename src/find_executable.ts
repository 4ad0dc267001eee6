/**
 * Finding a program on `PATH` as a shell would (`command -v`), without running anything: for
 * `doctor` (is there a `sh`, a `setsid`?) and `service install` (is there a `systemctl`?).
 *
 * @module
 */
import { hostPath } from "./paths.ts";

/**
 * The full path of the first executable file called `name` in the directories of `path` (a
 * `PATH` value), or undefined.
 *
 * @example
 * ```ts
 * import { findExecutable } from "./find_executable.ts";
 * console.assert(findExecutable("sh", "/nonexistent") === undefined);
 * ```
 */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const directory of (path ?? "").split(":")) {
    if (directory === "") continue;
    const candidate = hostPath.join(directory, name);
    try {
      const info = Deno.statSync(candidate);
      if (info.isFile && (info.mode === null || (info.mode & 0o111) !== 0)) return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
