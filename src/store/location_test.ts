import assert from "node:assert/strict";
import { StoreUnavailableError } from "../errors.ts";
import { resolveStoreLocation, stateDirectory } from "./location.ts";

/** An environment holding only `vars`. */
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("resolveStoreLocation() defaults to the platform's per-user data directory", () => {
  const cases: [
    os: typeof Deno.build.os,
    vars: Record<string, string>,
    path: string,
    intent: string,
  ][] = [
    ["linux", { HOME: "/home/ada" }, "/home/ada/.local/share/queuectl/queue.db", "XDG's default"],
    [
      "linux",
      { HOME: "/home/ada", XDG_DATA_HOME: "/data" },
      "/data/queuectl/queue.db",
      "XDG_DATA_HOME",
    ],
    // macOS keeps the XDG place: its native one would strand the data of every existing user.
    ["darwin", { HOME: "/Users/ada" }, "/Users/ada/.local/share/queuectl/queue.db", "macOS"],
    [
      "windows",
      { LOCALAPPDATA: "C:\\Users\\ada\\AppData\\Local", USERPROFILE: "C:\\Users\\ada" },
      "C:\\Users\\ada\\AppData\\Local\\queuectl\\queue.db",
      "Windows: %LOCALAPPDATA%",
    ],
    [
      "windows",
      { USERPROFILE: "C:\\Users\\ada" },
      "C:\\Users\\ada\\AppData\\Local\\queuectl\\queue.db",
      "Windows without LOCALAPPDATA: its usual place under the profile",
    ],
    [
      "windows",
      { XDG_DATA_HOME: "D:\\xdg", LOCALAPPDATA: "C:\\L" },
      "D:\\xdg\\queuectl\\queue.db",
      "XDG set on purpose wins",
    ],
  ];
  for (const [os, vars, path, intent] of cases) {
    assert.deepEqual(
      resolveStoreLocation(undefined, envOf(vars), os),
      { kind: "sqlite", path },
      intent,
    );
  }
});

Deno.test("resolveStoreLocation() takes --db over QUEUECTL_DB over the default, on every OS", () => {
  const env = envOf({ QUEUECTL_DB: "C:\\q\\env.db", LOCALAPPDATA: "C:\\L" });
  assert.deepEqual(resolveStoreLocation("D:\\flag.db", env, "windows"), {
    kind: "sqlite",
    path: "D:\\flag.db",
  });
  assert.deepEqual(resolveStoreLocation(undefined, env, "windows"), {
    kind: "sqlite",
    path: "C:\\q\\env.db",
  });
});

Deno.test({
  name: "resolveStoreLocation() decodes file: URLs (%20 is a space)",
  ignore: Deno.build.os === "windows", // There a file URL names a drive: file:///C:/q.db.
  fn() {
    const location = resolveStoreLocation("file:///tmp/my%20dir/queue.db", envOf({}), "linux");
    assert.deepEqual(location, { kind: "sqlite", path: "/tmp/my dir/queue.db" });
  },
});

Deno.test("resolveStoreLocation() says which variable is missing when there is no default place", () => {
  assert.throws(
    () => resolveStoreLocation(undefined, envOf({}), "linux"),
    (error: unknown) =>
      error instanceof StoreUnavailableError && /HOME is not set/.test(error.message),
  );
  assert.throws(
    () => resolveStoreLocation(undefined, envOf({}), "windows"),
    (error: unknown) =>
      error instanceof StoreUnavailableError && /LOCALAPPDATA is not set/.test(error.message),
  );
});

Deno.test("stateDirectory() is XDG_STATE_HOME's on Unix and %LOCALAPPDATA%'s on Windows", () => {
  assert.equal(
    stateDirectory(envOf({ HOME: "/home/ada" }), "linux"),
    "/home/ada/.local/state/queuectl",
  );
  assert.equal(stateDirectory(envOf({ HOME: "/h", XDG_STATE_HOME: "/s" }), "linux"), "/s/queuectl");
  assert.equal(stateDirectory(envOf({ LOCALAPPDATA: "C:\\L" }), "windows"), "C:\\L\\queuectl");
});
