import assert from "node:assert/strict";
import { posix, win32 } from "node:path";
import { posixPath, windowsPath } from "./paths.ts";

/** Pieces that exercise every rule: roots of each kind, `.` and `..`, doubled separators. */
const POSIX_PIECES = ["/", "//", "a", "b/", "..", ".", "", "/x", "a//b", "../c", "d/..", "..."];
const WINDOWS_PIECES = [
  ...["C:", "c:\\", "C:/", "D:x", "\\", "\\\\", "/", "\\\\server\\share", "//srv/sh/", "\\\\srv"],
  ...["a", "b\\", "..", ".", "", "\\x", "a\\\\b", "..\\c", "d/..", "...", "e/f", "\\\\srv\\"],
  ...["ab:", ":", "e:", "x:y"],
];

/** A small deterministic generator, so a failure names a path that can be rerun. */
function* pieceLists(pieces: string[], count: number, seed: number): Generator<string[]> {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let line = 0; line < count; line++) {
    const length = Math.floor(next() * 5);
    yield Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]);
  }
}

for (
  const [name, ours, node, pieces, absoluteFroms] of [
    ["posix", posixPath, posix, POSIX_PIECES, ["/home/ada/work", "/", "/a/../b/"]],
    ["windows", windowsPath, win32, WINDOWS_PIECES, [
      "C:\\Users\\ada\\work",
      "c:/",
      "\\\\server\\share\\dir",
      "\\rooted",
    ]],
  ] as const
) {
  Deno.test(`${name}Path agrees with node:path ${name} on 10,000 generated paths`, () => {
    for (const parts of pieceLists([...pieces], 10_000, 3)) {
      const what = JSON.stringify(parts);
      const path = parts.join("");
      assert.equal(ours.join(...parts), node.join(...parts), `join ${what}`);
      assert.equal(ours.normalize(path), node.normalize(path), `normalize ${JSON.stringify(path)}`);
      assert.equal(ours.dirname(path), node.dirname(path), `dirname ${JSON.stringify(path)}`);
      for (const from of absoluteFroms) {
        // `D:x` from a directory not on D: is relative to D:'s own working directory, which
        // Node reads from a variable and, on a POSIX host, from this process's POSIX one.
        const drive = /^([a-z]):(?![\\/])/i.exec(path)?.[1];
        if (name === "windows" && drive && !from.toLowerCase().startsWith(`${drive}:`)) continue;
        assert.equal(
          ours.resolve(from, path),
          node.resolve(from, path),
          `resolve from ${from} ${JSON.stringify(path)}`,
        );
      }
    }
  });
}

Deno.test("posixPath.resolve() from an absolute directory reads no working directory", () => {
  // A long-running worker resolves jobs' directories against absolute ones; the directory it
  // was started in may be gone by then (Deno.cwd() would throw).
  const cwd = Deno.cwd;
  Deno.cwd = () => {
    throw new Error("the working directory was read");
  };
  try {
    assert.equal(posixPath.resolve("/srv/jobs", "x/../y"), "/srv/jobs/y");
    assert.equal(windowsPath.resolve("C:\\jobs", "y"), "C:\\jobs\\y");
  } finally {
    Deno.cwd = cwd;
  }
});
