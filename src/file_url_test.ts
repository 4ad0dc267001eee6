import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { pathOfFileUrl } from "./file_url.ts";

Deno.test("pathOfFileUrl() agrees with node:url fileURLToPath, errors included", () => {
  const urls = [
    "file:///tmp/my%20dir/queue.db",
    "file://localhost/tmp/q.db",
    "file:///tmp/a%2Fb",
    "file:///tmp/a%5Cb",
    "file://server/share/q.db",
    "file:///tmp/%E2%9C%93",
    "file:///",
  ];
  for (const url of urls) {
    let expected: string;
    try {
      expected = fileURLToPath(url);
    } catch (error) {
      expected = `error: ${(error as Error).message}`;
    }
    let actual: string;
    try {
      actual = pathOfFileUrl(url);
    } catch (error) {
      actual = `error: ${(error as Error).message}`;
    }
    assert.equal(actual, expected, url);
  }
});

Deno.test("pathOfFileUrl() reads Windows file URLs: a drive, a share, and no drive refused", () => {
  assert.equal(pathOfFileUrl("file:///C:/q%20q/queue.db", "windows"), "C:\\q q\\queue.db");
  assert.equal(pathOfFileUrl("file://server/share/q.db", "windows"), "\\\\server\\share\\q.db");
  assert.throws(() => pathOfFileUrl("file:///q.db", "windows"), /must be absolute/);
  assert.throws(() => pathOfFileUrl("file:///C:/a%2Fb", "windows"), /encoded/);
});
