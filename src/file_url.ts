/**
 * The local path a `file:` URL names, by `node:url` `fileURLToPath`'s rules (POSIX and Windows),
 * without importing `node:url` (why: `paths.ts`). `file_url_test.ts` holds it to Node's results.
 *
 * @module
 */

/**
 * The local path a `file:` URL names, by `os`'s rules (`file:///C:/q` is `C:\q` on Windows,
 * `file://server/share/q` is `\\server\share\q`; `%20` is a space everywhere). Throws a
 * `TypeError` saying why for a URL that names no local path.
 */
export function pathOfFileUrl(url: string, os: typeof Deno.build.os = Deno.build.os): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "file:") throw new TypeError("The URL must be of scheme file");
  const pathname = parsed.pathname;
  if (os === "windows") {
    if (/%(2f|5c)/i.test(pathname)) {
      throw new TypeError("File URL path must not include encoded \\ or / characters");
    }
    const path = decodeURIComponent(pathname.replaceAll("/", "\\"));
    if (parsed.hostname !== "") return `\\\\${parsed.hostname}${path}`;
    if (!/^\\[a-zA-Z]:/.test(path)) throw new TypeError("File URL path must be absolute");
    return path.slice(1);
  }
  if (parsed.hostname !== "") {
    throw new TypeError(`File URL host must be "localhost" or empty on ${os}`);
  }
  if (/%2f/i.test(pathname)) {
    throw new TypeError("File URL path must not include encoded / characters");
  }
  return decodeURIComponent(pathname);
}
