/**
 * Finding a program on `PATH` as a shell would (`command -v`), without running anything: for
 * `doctor` (is there a `sh`, a `setsid`?), `service install` (is there a `systemctl`?), and a
 * worker starting each job's shell (`ExecutableLookups`, which keeps what it found a moment).
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

/** How long a program found on `PATH` is taken to stay where it was found. */
export const LOOKUP_KEPT_MS = 1_000;

/** The most (program, `PATH`) pairs kept: a job's own `PATH` may differ from every other's. */
const LOOKUPS_KEPT = 64;

/**
 * `findExecutable` for a process that starts programs all day (a worker: one `sh` per job),
 * keeping what it found for `LOOKUP_KEPT_MS`. A lookup costs a `stat` per directory before the
 * one that has the program, each missing one an exception: ~0.3 ms per job, a fifth of a
 * worker's own CPU per job where an exec is cheap. A program installed earlier on `PATH` is seen
 * within a second (a shell's hash table, by contrast, keeps a path until told); one removed since
 * is looked for again by the caller (`fresh`) when starting it fails. Nothing not found is kept.
 */
export class ExecutableLookups {
  readonly #found = new Map<string, { path: string; until: number }>();
  readonly #now: () => number;

  /** `now`: a monotonic clock in ms (for tests). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The program's full path as `findExecutable` gives it; `fresh` looks again on `PATH`. */
  find(name: string, path: string | undefined, fresh = false): string | undefined {
    const key = `${path ?? ""}\0${name}`;
    const now = this.#now();
    const kept = this.#found.get(key);
    if (!fresh && kept !== undefined && kept.until > now) return kept.path;
    const found = findExecutable(name, path);
    if (found === undefined) {
      this.#found.delete(key);
    } else {
      if (this.#found.size >= LOOKUPS_KEPT && !this.#found.has(key)) this.#found.clear();
      this.#found.set(key, { path: found, until: now + LOOKUP_KEPT_MS });
    }
    return found;
  }
}
