/**
 * The few path operations a CLI call's start needs (joining the default database path, a
 * `file:` URL's path, a path's parent, whether a directory is already in its resolved form),
 * written here instead of imported from `node:path` and `node:url`: the first import of either
 * starts Deno's Node compatibility layer, ~15 ms of CPU at every `enqueue` and `status`, where
 * `node:sqlite` alone does not. Each gives what `node:path` gives for the inputs queuectl passes
 * (file_paths_test.ts compares them); anything else (a job's own `cwd`) still goes through
 * `node:path`, loaded on demand.
 *
 * @module
 */

type Os = typeof Deno.build.os;

/** A drive (`C:`) or a UNC root (`\\server\share`), then a separator, then the rest. */
const WINDOWS_ROOT = /^([a-zA-Z]:|[\\/]{2}[^\\/]+[\\/]+[^\\/]+)?([\\/])?([\s\S]*)$/;

/**
 * Joins path segments with the separators of `os` and resolves `.` and `..`, as `node:path`'s
 * `posix.join` or `win32.join` does.
 *
 * @example
 * ```ts
 * import { joinPath } from "./file_paths.ts";
 * console.assert(joinPath("linux", "/home/ada/", "./.local", "share") === "/home/ada/.local/share");
 * console.assert(joinPath("windows", "C:\\Users\\ada", "queuectl") === "C:\\Users\\ada\\queuectl");
 * ```
 */
export function joinPath(os: Os, ...segments: string[]): string {
  const given = segments.filter((segment) => segment.length > 0);
  if (given.length === 0) return ".";
  if (os !== "windows") return normalizePosix(given.join("/"));
  let joined = given.join("\\");
  // Two leading separators read as a UNC root; only a first segment that names a server
  // (`\\server`) means one.
  if (!/^[\\/]{2}[^\\/]/.test(given[0])) joined = joined.replace(/^[\\/]{2,}/, "\\");
  return normalizeWindows(joined);
}

function normalizePosix(path: string): string {
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  let tail = resolveDots(path.split("/"), !absolute).join("/");
  if (tail === "" && !absolute) tail = ".";
  if (tail !== "" && trailing) tail += "/";
  return (absolute ? "/" : "") + tail;
}

function normalizeWindows(path: string): string {
  const [, device = "", separator, rest] = WINDOWS_ROOT.exec(path)!;
  const unc = device !== "" && device[1] !== ":";
  const absolute = separator !== undefined || unc;
  let tail = resolveDots(rest.split(/[\\/]+/), !absolute).join("\\");
  if (tail === "" && !absolute) tail = ".";
  if (tail !== "" && /[\\/]$/.test(rest)) tail += "\\";
  const root = unc ? `\\\\${device.replace(/^[\\/]+/, "").replace(/[\\/]+/g, "\\")}` : device;
  return root + (absolute ? "\\" : "") + tail;
}

/** Drops empty and `.` segments and lets `..` take the one before it. */
function resolveDots(parts: string[], aboveRoot: boolean): string[] {
  const kept: string[] = [];
  for (const part of parts) {
    if (part === "" || part === ".") continue;
    if (part !== "..") kept.push(part);
    else if (kept.length > 0 && kept.at(-1) !== "..") kept.pop();
    else if (aboveRoot) kept.push("..");
  }
  return kept;
}

/**
 * The directory a path is in, as `node:path`'s `dirname` gives it for this OS (UNC roots aside:
 * this serves error messages and the disk check of a failed write).
 *
 * @example
 * ```ts
 * import { parentDirectory } from "./file_paths.ts";
 * console.assert(parentDirectory("/var/lib/queue.db", "linux") === "/var/lib");
 * console.assert(parentDirectory("C:\\q\\queue.db", "windows") === "C:\\q");
 * ```
 */
export function parentDirectory(path: string, os: Os = Deno.build.os): string {
  const isSeparator = os === "windows"
    ? (char: string) => char === "/" || char === "\\"
    : (char: string) => char === "/";
  if (path.length === 0) return ".";
  let rootEnd = -1;
  if (isSeparator(path[0])) rootEnd = 1;
  else if (os === "windows" && /^[a-zA-Z]:/.test(path)) {
    rootEnd = path.length > 2 && isSeparator(path[2]) ? 3 : 2;
  }
  let end = -1;
  let matchedSeparator = true;
  for (let i = path.length - 1; i >= Math.max(rootEnd, 1); i--) {
    if (!isSeparator(path[i])) matchedSeparator = false;
    else if (!matchedSeparator) {
      end = i;
      break;
    }
  }
  if (end === -1) return rootEnd === -1 ? "." : path.slice(0, rootEnd);
  // POSIX keeps a path's two leading slashes (`//x` is in `//`).
  if (os !== "windows" && rootEnd === 1 && end === 1) return "//";
  return path.slice(0, end);
}

/**
 * Whether `path` is absolute and already in the form `resolve(path)` gives it (no `.`, `..`,
 * doubled or trailing separators), so resolving it would change nothing.
 *
 * @example
 * ```ts
 * import { isResolvedPath } from "./file_paths.ts";
 * console.assert(isResolvedPath("/home/ada", "linux"));
 * console.assert(!isResolvedPath("/home/ada/../bob", "linux"));
 * ```
 */
export function isResolvedPath(path: string, os: Os = Deno.build.os): boolean {
  if (os === "windows") {
    if (!/^[A-Za-z]:\\/.test(path)) return false;
    if (path.length === 3) return true;
    return path.slice(3).split("\\").every((part) =>
      part !== "" && part !== "." && part !== ".."
    ) &&
      !path.includes("/");
  }
  if (path === "/") return true;
  if (!path.startsWith("/")) return false;
  return path.slice(1).split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * The path a `file:` URL names, in the form of `os`, as `node:url`'s `fileURLToPath` gives it
 * (`file:///C:/q/queue.db` is `C:\q\queue.db` on Windows; `%20` is a space everywhere). Throws
 * for a URL that names no local path.
 *
 * @example
 * ```ts
 * import { fileUrlToPath } from "./file_paths.ts";
 * console.assert(fileUrlToPath("file:///tmp/my%20dir/q.db", "linux") === "/tmp/my dir/q.db");
 * console.assert(fileUrlToPath("file:///C:/q/q.db", "windows") === "C:\\q\\q.db");
 * ```
 */
export function fileUrlToPath(value: string, os: Os = Deno.build.os): string {
  const url = new URL(value);
  if (url.protocol !== "file:") throw new TypeError("The URL must be of scheme file");
  const { hostname, pathname } = url;
  if (os === "windows") {
    if (/%2f|%5c/i.test(pathname)) {
      throw new TypeError("File URL path must not include encoded \\ or / characters");
    }
    const path = decodeURIComponent(pathname.replaceAll("/", "\\"));
    if (hostname !== "") return `\\\\${hostname}${path}`;
    if (!/^\\[a-zA-Z]:/.test(path)) throw new TypeError("File URL path must be absolute");
    return path.slice(1);
  }
  if (hostname !== "") {
    throw new TypeError(`File URL host must be "localhost" or empty on ${os}`);
  }
  if (/%2f/i.test(pathname)) {
    throw new TypeError("File URL path must not include encoded / characters");
  }
  return decodeURIComponent(pathname);
}
