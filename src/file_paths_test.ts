import assert from "node:assert/strict";
import { dirname, posix, resolve, win32 } from "node:path";
import { fileURLToPath } from "node:url";
import { fileUrlToPath, isResolvedPath, joinPath, parentDirectory } from "./file_paths.ts";

/** Inputs like the ones queuectl joins: environment variables (as users set them) and names. */
const POSIX_JOINS: string[][] = [
  ["/home/ada", ".local", "share", "queuectl"],
  ["/home/ada/", ".local", "share", "queuectl"],
  ["/data", "queuectl"],
  ["/data//x/./y/../", "queuectl", "queue.db"],
  ["relative/dir", "queuectl"],
  ["./rel", "..", "..", "queuectl"],
  ["/", "queuectl"],
  ["//double", "queuectl"],
  ["/a/b", "", "c"],
  ["..", "x"],
  ["/..", "x"],
  ["a", "../.."],
];

const WINDOWS_JOINS: string[][] = [
  ["C:\\Users\\ada\\AppData\\Local", "queuectl", "queue.db"],
  ["C:\\Users\\ada", "AppData", "Local"],
  ["C:/Users/ada/", "queuectl"],
  ["D:\\xdg\\", ".\\x\\..", "queuectl"],
  ["\\\\server\\share\\dir", "queuectl"],
  ["\\\\server\\share", "queuectl"],
  ["//server/share/x", "queuectl"],
  ["C:", "queuectl"],
  ["C:\\", "queuectl"],
  ["relative\\dir", "queuectl"],
  ["\\rooted", "queuectl"],
  ["C:\\a\\..\\..\\b", "queuectl"],
];

Deno.test("joinPath() joins as node:path does, on POSIX and Windows", () => {
  for (const segments of POSIX_JOINS) {
    assert.equal(joinPath("linux", ...segments), posix.join(...segments), segments.join(" | "));
  }
  for (const segments of WINDOWS_JOINS) {
    assert.equal(joinPath("windows", ...segments), win32.join(...segments), segments.join(" | "));
  }
});

Deno.test("parentDirectory() gives node:path's dirname for database paths", () => {
  for (
    const path of ["/tmp/q/queue.db", "/queue.db", "queue.db", "a/b/", "/a//b", "//x", "/", ""]
  ) {
    assert.equal(parentDirectory(path, "linux"), posix.dirname(path), path);
  }
  for (
    const path of ["C:\\q\\queue.db", "C:\\queue.db", "C:queue.db", "q.db", "C:/a/b.db", "a\\b\\"]
  ) {
    assert.equal(parentDirectory(path, "windows"), win32.dirname(path), path);
  }
  if (Deno.build.os !== "windows") assert.equal(parentDirectory("/x/y"), dirname("/x/y"));
});

Deno.test("isResolvedPath() is true only where resolving changes nothing", () => {
  for (
    const path of ["/", "/home/ada", "/home/ada/", "/a/./b", "/a/../b", "//a", "rel", "/a.b/c"]
  ) {
    assert.equal(isResolvedPath(path, "linux"), posix.resolve(path) === path, path);
  }
  for (const path of ["C:\\", "C:\\Users\\ada", "C:\\a\\", "C:\\a\\..\\b", "C:/a", "\\\\s\\h\\x"]) {
    assert.equal(
      isResolvedPath(path, "windows") && win32.resolve(path) === path,
      isResolvedPath(path, "windows"),
      path,
    );
  }
  if (Deno.build.os !== "windows") assert.ok(isResolvedPath(resolve(Deno.cwd())));
});

Deno.test("fileUrlToPath() reads file: URLs as node:url does", () => {
  if (Deno.build.os !== "windows") {
    for (
      const url of ["file:///tmp/my%20dir/queue.db", "file://localhost/q.db", "file:///a/%C3%A9.db"]
    ) {
      assert.equal(fileUrlToPath(url, "linux"), fileURLToPath(url), url);
    }
    for (const url of ["file://server/q.db", "file:///a%2Fb.db"]) {
      assert.throws(() => fileURLToPath(url));
      assert.throws(() => fileUrlToPath(url, "linux"), TypeError, url);
    }
  }
  assert.equal(fileUrlToPath("file:///C:/q/my%20queue.db", "windows"), "C:\\q\\my queue.db");
  assert.equal(fileUrlToPath("file://server/share/q.db", "windows"), "\\\\server\\share\\q.db");
  assert.throws(() => fileUrlToPath("file:///q.db", "windows"), /must be absolute/);
  assert.throws(() => fileUrlToPath("file:///C:/a%5Cb.db", "windows"), /encoded/);
});
