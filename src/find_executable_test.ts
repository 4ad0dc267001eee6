import assert from "node:assert/strict";
import { join } from "node:path";
import { ExecutableLookups, findExecutable, LOOKUP_KEPT_MS } from "./find_executable.ts";

/** Two directories for a `PATH`, and a way to put an executable `name` in either. */
async function twoDirectories() {
  const root = await Deno.makeTempDir({ prefix: "queuectl-find-executable-" });
  const [first, second] = [join(root, "a"), join(root, "b")];
  await Deno.mkdir(first);
  await Deno.mkdir(second);
  return {
    path: `${first}:${second}`,
    first,
    second,
    async put(directory: string, name: string) {
      await Deno.writeTextFile(join(directory, name), "#!/bin/sh\n", { mode: 0o755 });
      return join(directory, name);
    },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

Deno.test({
  name: "findExecutable() takes the first executable file on PATH, skipping others",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using dirs = await twoDirectories();
    assert.equal(findExecutable("prog", dirs.path), undefined);
    await Deno.mkdir(join(dirs.first, "prog")); // A directory is not a program.
    await Deno.writeTextFile(join(dirs.second, "prog"), "", { mode: 0o644 }); // Nor a plain file.
    assert.equal(findExecutable("prog", dirs.path), undefined);
    await Deno.remove(join(dirs.second, "prog"));
    const found = await dirs.put(dirs.second, "prog");
    assert.equal(findExecutable("prog", dirs.path), found);
  },
});

Deno.test({
  name:
    "ExecutableLookups keeps what it found for LOOKUP_KEPT_MS, per PATH; looks again when fresh, and keeps nothing not found",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using dirs = await twoDirectories();
    let now = 0;
    const lookups = new ExecutableLookups(() => now);
    assert.equal(lookups.find("prog", dirs.path), undefined);
    const second = await dirs.put(dirs.second, "prog");
    assert.equal(lookups.find("prog", dirs.path), second, "not found is not kept");
    const first = await dirs.put(dirs.first, "prog");
    now += LOOKUP_KEPT_MS - 1;
    assert.equal(lookups.find("prog", dirs.path), second, "kept for LOOKUP_KEPT_MS");
    assert.equal(lookups.find("prog", dirs.first), first, "another PATH is looked up of its own");
    assert.equal(lookups.find("prog", dirs.path, true), first, "fresh: looked up again");
    await Deno.remove(first);
    now += LOOKUP_KEPT_MS;
    assert.equal(lookups.find("prog", dirs.path), second, "seen again once the time is up");
  },
});
