/**
 * The path arithmetic a CLI call needs (join, dirname, resolve) by `node:path`'s rules, for
 * POSIX and Windows, without importing it.
 *
 * Why not `node:path` itself: in Deno, importing `node:path`, `node:url` or `node:util` loads the
 * Node compatibility layer, which `node:sqlite` alone does not. Measured with hyperfine (40 runs
 * each, 2026-12-05): a single `enqueue` 107.1 → 90.6 ms and `status` 104.8 → 86.0 ms once no
 * module a CLI call loads imports any of the three (an empty script: 52.2 ms). So queuectl has
 * this file, `file_url.ts` and `cli/arg_tokens.ts` instead, each held to Node's results by a test
 * on generated input (`paths_test.ts` here), and `tests/project_test.ts` keeps those imports out.
 *
 * Not covered, on purpose, on Windows: per-drive working directories (`resolve("D:x")` from
 * another drive's directory resolves against `D:\`, where Node reads the `=D:` variable), and
 * the device namespaces `\\?\` and `\\.\`, read as UNC shares named `?` and `.` (so
 * `\\?\C:\x\..\y` is `\\?\C:\y`, as in Node; only some corners differ), and the `.\` Node
 * puts before a relative path naming a reserved device (`con\` stays `con\`, Node gives `.\con\`).
 *
 * @module
 */

/** The rules of one kind of path. */
export interface PathRules {
  /** The parts joined by the separator, then normalised; `.` for no parts. */
  join(...parts: string[]): string;
  /** The path without its last part (trailing separators ignored). */
  dirname(path: string): string;
  /** `to` made absolute against `from` (itself absolute, or taken from the working directory). */
  resolve(from: string, to: string): string;
  /** `.` and `..` parts resolved, repeated separators made one. */
  normalize(path: string): string;
}

/**
 * The parts of `path` (split on any separator in `isSeparator`), `.` and `..` resolved; `..`
 * above the start is kept only when `aboveRoot` allows it.
 */
function normalizeParts(
  path: string,
  aboveRoot: boolean,
  isSeparator: (char: string) => boolean,
): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index <= path.length; index++) {
    if (index < path.length && !isSeparator(path[index])) continue;
    const part = path.slice(start, index);
    start = index + 1;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
      else if (aboveRoot) parts.push("..");
      continue;
    }
    parts.push(part);
  }
  return parts;
}

const isPosixSeparator = (char: string) => char === "/";

/** POSIX paths: `/` separates, a leading `/` is the root. */
export const posixPath: PathRules = {
  normalize(path) {
    if (path === "") return ".";
    const absolute = path[0] === "/";
    const trailing = path.at(-1) === "/";
    const tail = normalizeParts(path, !absolute, isPosixSeparator).join("/");
    if (tail === "") return absolute ? "/" : trailing ? "./" : ".";
    return (absolute ? "/" : "") + tail + (trailing ? "/" : "");
  },
  join(...parts) {
    const given = parts.filter((part) => part !== "");
    return given.length === 0 ? "." : posixPath.normalize(given.join("/"));
  },
  dirname(path) {
    if (path === "") return ".";
    const rooted = path[0] === "/";
    let end = -1;
    let inTrailingSeparators = true;
    for (let index = path.length - 1; index >= 1; index--) {
      if (path[index] !== "/") inTrailingSeparators = false;
      else if (!inTrailingSeparators) {
        end = index;
        break;
      }
    }
    if (end === -1) return rooted ? "/" : ".";
    return rooted && end === 1 ? "//" : path.slice(0, end);
  },
  resolve(from, to) {
    let joined = "";
    for (const path of [to, from]) {
      if (path === "") continue;
      joined = joined === "" ? path : `${path}/${joined}`;
      if (path[0] === "/") break;
    }
    // Only a relative `from` reads the working directory (which may be gone: a long-running
    // worker resolves against absolute directories only).
    if (joined[0] !== "/") joined = joined === "" ? Deno.cwd() : `${Deno.cwd()}/${joined}`;
    const absolute = joined[0] === "/";
    const tail = normalizeParts(joined, !absolute, isPosixSeparator).join("/");
    return absolute ? `/${tail}` : tail || ".";
  },
};

const isWindowsSeparator = (char: string) => char === "\\" || char === "/";

/** Where a Windows path's root ends, and what it is. */
interface WindowsRoot {
  /** `C:` or `\\server\share`; empty for none. */
  device: string;
  /** Whether the path starts at a root (`C:\`, `\x`, `\\server\share\x`); `C:x` does not. */
  absolute: boolean;
  /** The index just past the root. */
  end: number;
  /** Whether the root is a UNC share (`\\server\share`). */
  unc: boolean;
}

function windowsRoot(path: string): WindowsRoot {
  const none = { device: "", absolute: false, end: 0, unc: false };
  if (path === "") return none;
  if (isWindowsSeparator(path[0])) {
    if (path.length < 2 || !isWindowsSeparator(path[1])) {
      return { device: "", absolute: true, end: 1, unc: false };
    }
    // `\\server\share`: a server and a share, each one or more non-separators.
    let index = 2;
    const serverStart = index;
    while (index < path.length && !isWindowsSeparator(path[index])) index++;
    const server = path.slice(serverStart, index);
    const afterServer = index;
    while (index < path.length && isWindowsSeparator(path[index])) index++;
    const shareStart = index;
    while (index < path.length && !isWindowsSeparator(path[index])) index++;
    if (server === "" || afterServer === path.length || shareStart === index) {
      return { device: "", absolute: true, end: 0, unc: false };
    }
    return {
      device: `\\\\${server}\\${path.slice(shareStart, index)}`,
      absolute: true,
      end: index,
      unc: true,
    };
  }
  if (/^[a-zA-Z]:/.test(path)) {
    const absolute = path.length > 2 && isWindowsSeparator(path[2]);
    return { device: path.slice(0, 2), absolute, end: absolute ? 3 : 2, unc: false };
  }
  return none;
}

/** Where a path relative to `device` (`D:x`) starts: the working directory when it is on it. */
function driveDirectory(device: string): string {
  const cwd = Deno.cwd();
  return cwd.slice(0, 3).toLowerCase() === `${device.toLowerCase()}\\` ? cwd : `${device}\\`;
}

function looksLikeDriveOrStream(path: string, tail: string): boolean {
  if (/^[a-zA-Z]:/.test(tail)) return true;
  for (let index = path.indexOf(":"); index !== -1; index = path.indexOf(":", index + 1)) {
    if (index === path.length - 1 || isWindowsSeparator(path[index + 1])) return true;
  }
  return false;
}

/** Windows paths: `\` or `/` separate; roots are `C:\`, `C:` (relative), `\` and UNC shares. */
export const windowsPath: PathRules = {
  normalize(path) {
    if (path === "") return ".";
    if (path.length === 1) return path === "/" ? "\\" : path;
    const root = windowsRoot(path);
    let tail = normalizeParts(path.slice(root.end), !root.absolute, isWindowsSeparator)
      .join("\\");
    if (tail === "" && !root.absolute) tail = ".";
    if (tail !== "" && isWindowsSeparator(path.at(-1)!)) tail += "\\";
    // A relative path must not come out reading as a drive (`.\c:x`) or a device stream
    // (`x\c:`): it keeps a leading `.\`, as Node does since nodejs/node#56766.
    if (!root.absolute && root.device === "" && looksLikeDriveOrStream(path, tail)) {
      return `.\\${tail}`;
    }
    return root.absolute ? `${root.device}\\${tail}` : `${root.device}${tail}`;
  },
  join(...parts) {
    const given = parts.filter((part) => part !== "");
    if (given.length === 0) return ".";
    let joined = given.join("\\");
    // Separators leading the joined path are made one unless the first part named a UNC share
    // itself: `join("\\", "\\server")` is not a UNC path.
    const first = given[0];
    const leading = /^[\\/]*/.exec(joined)![0].length;
    const firstNamesShare = first.length > 2 && isWindowsSeparator(first[0]) &&
      isWindowsSeparator(first[1]) && !isWindowsSeparator(first[2]);
    if (!firstNamesShare && leading >= 2) joined = `\\${joined.slice(leading)}`;
    return windowsPath.normalize(joined);
  },
  dirname(path) {
    if (path === "") return ".";
    if (path.length === 1) return isWindowsSeparator(path) ? path : ".";
    const root = windowsRoot(path);
    if (root.unc && root.end === path.length) return path;
    // Past a UNC share, its separator belongs to the root too; `\\x` without a share has the
    // root `\`.
    const rootEnd = root.unc
      ? root.end + 1
      : isWindowsSeparator(path[0])
      ? 1
      : root.device !== ""
      ? root.end
      : -1;
    const offset = Math.max(rootEnd, 0);
    for (let index = path.length - 1, trailing = true; index >= offset; index--) {
      if (!isWindowsSeparator(path[index])) trailing = false;
      else if (!trailing) return path.slice(0, index);
    }
    return rootEnd === -1 ? "." : path.slice(0, rootEnd);
  },
  resolve(from, to) {
    let device = "";
    let tail = "";
    let absolute = false;
    const candidates = [to, from];
    for (let index = 0; index <= candidates.length; index++) {
      let path = candidates[index];
      if (index === candidates.length) path = device === "" ? Deno.cwd() : driveDirectory(device);
      if (path === "") continue;
      const root = windowsRoot(path);
      if (root.device !== "") {
        if (device === "") device = root.device;
        else if (root.device.toLowerCase() !== device.toLowerCase()) continue;
      }
      if (absolute) {
        if (device !== "") break;
        continue;
      }
      tail = `${path.slice(root.end)}\\${tail}`;
      absolute = root.absolute;
      if (absolute && device !== "") break;
    }
    const normalized = normalizeParts(tail, !absolute, isWindowsSeparator).join("\\");
    return absolute ? `${device}\\${normalized}` : `${device}${normalized}` || ".";
  },
};

/** The rules of `os` (not necessarily this process's, so one test can check both). */
export function pathRulesOf(os: typeof Deno.build.os): PathRules {
  return os === "windows" ? windowsPath : posixPath;
}

/** This process's path rules. */
export const hostPath: PathRules = pathRulesOf(Deno.build.os);
