/**
 * Where the store is: the `--db` flag, `QUEUECTL_DB`, or a file in the platform's per-user data
 * directory; and where other per-user files go (`stateDirectory`).
 *
 * @module
 */
import { pathOfFileUrl } from "../file_url.ts";
import { pathRulesOf, windowsPath } from "../paths.ts";
import { StoreUnavailableError, UsageError } from "../errors.ts";
import { maskLocation } from "./secrets.ts";

/** Where the store is, and which kind it is. */
export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/** The location as it may be printed: a file path, or a URL with its secrets masked. */
export function displayLocation(location: StoreLocation): string {
  return location.kind === "sqlite" ? location.path : maskLocation(location.url);
}

/** Reads an environment variable (injected, so tests can play another OS's environment). */
export type EnvReader = (name: string) => string | undefined;

type Os = typeof Deno.build.os;

/**
 * Resolves the store: `--db` beats `QUEUECTL_DB`, which beats `queue.db` in `dataDirectory()`:
 * `${XDG_DATA_HOME:-~/.local/share}/queuectl/queue.db`, or on Windows
 * `%LOCALAPPDATA%\queuectl\queue.db`.
 *
 * @example
 * ```ts
 * import { resolveStoreLocation } from "./location.ts";
 * const env = (name: string) => ({ LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local" })[name];
 * const location = resolveStoreLocation(undefined, env, "windows");
 * console.assert(location.kind === "sqlite" &&
 *   location.path === "C:\\Users\\ada\\AppData\\Local\\queuectl\\queue.db");
 * ```
 */
export function resolveStoreLocation(
  flag: string | undefined,
  env: EnvReader = (name) => Deno.env.get(name),
  os: Os = Deno.build.os,
): StoreLocation {
  const given = flag ?? env("QUEUECTL_DB");
  if (given !== undefined) return parseStoreLocation(given);
  return { kind: "sqlite", path: pathRulesOf(os).join(dataDirectory(env, os), "queue.db") };
}

/**
 * queuectl's per-user data directory. An XDG variable that is set wins on every OS (someone set
 * it on purpose); else `~/.local/share/queuectl` on Unix, macOS included (its native
 * `~/Library/Application Support` would move the data of every existing user), and
 * `%LOCALAPPDATA%\queuectl` on Windows (local, not roaming: a queue belongs to one machine).
 */
export function dataDirectory(env: EnvReader, os: Os = Deno.build.os): string {
  return perUserDirectory(env, os, {
    xdgVariable: "XDG_DATA_HOME",
    underHome: [".local", "share"],
    what: "a default database location",
    instead: "pass --db or set QUEUECTL_DB",
  });
}

/** Where per-user state (a detached worker's log) goes: as `dataDirectory`, for XDG_STATE_HOME. */
export function stateDirectory(env: EnvReader, os: Os = Deno.build.os): string {
  return perUserDirectory(env, os, {
    xdgVariable: "XDG_STATE_HOME",
    underHome: [".local", "state"],
    what: "a default log location",
    instead: "pass --log-file",
  });
}

/** A per-user directory, and what to say when there is none. */
interface PerUserKind {
  xdgVariable: string;
  underHome: string[];
  /** What was looked for, and what the user can do instead, for the error. */
  what: string;
  instead: string;
}

function perUserDirectory(env: EnvReader, os: Os, kind: PerUserKind): string {
  const path = pathRulesOf(os);
  const xdg = env(kind.xdgVariable);
  if (xdg) return path.join(xdg, "queuectl");
  const base = os === "windows" ? localAppData(env) : homeDirectory(env);
  if (base === undefined) {
    const missing = os === "windows" ? "LOCALAPPDATA" : "HOME";
    throw new StoreUnavailableError(
      `Cannot find ${kind.what}: ${missing} is not set; ${kind.instead}`,
    );
  }
  return os === "windows"
    ? path.join(base, "queuectl")
    : path.join(base, ...kind.underHome, "queuectl");
}

function localAppData(env: EnvReader): string | undefined {
  const local = env("LOCALAPPDATA");
  if (local) return local;
  const profile = env("USERPROFILE");
  return profile ? windowsPath.join(profile, "AppData", "Local") : undefined;
}

function homeDirectory(env: EnvReader): string | undefined {
  return env("HOME") || env("USERPROFILE") || undefined;
}

function parseStoreLocation(value: string): StoreLocation {
  if (value.trim() === "") throw new UsageError("Invalid database location: it is empty");
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: "postgres", url: value };
  if (value.startsWith("file://")) return { kind: "sqlite", path: filePath(value) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(
      `Unsupported database location "${
        value.split("://")[0]
      }://…": use a file path or postgres://`,
    );
  }
  return { kind: "sqlite", path: value };
}

/**
 * The path of a `file:` URL, in this OS's form: `file:///C:/q/queue.db` is `C:\q\queue.db` on
 * Windows, and `%20` is a space everywhere.
 */
function filePath(url: string): string {
  try {
    return pathOfFileUrl(url);
  } catch (error) {
    throw new UsageError(
      `Invalid database location "${url}": ${(error as Error).message}; use file:///PATH`,
    );
  }
}
