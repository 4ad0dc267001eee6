import assert from "node:assert/strict";
import { announcesWork } from "./connection.ts";

Deno.test("announcesWork(): a write of the wake-up file announces once, its close does not", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db-wake`;
  await Deno.writeFile(path, new Uint8Array());
  const watcher = Deno.watchFs(path, { recursive: false });
  const kinds: string[] = [];
  const announced: boolean[] = [];
  const seen = (async () => {
    for await (const event of watcher) {
      kinds.push(event.kind);
      announced.push(announcesWork(event));
    }
  })();
  try {
    const file = await Deno.open(path, { write: true });
    await file.write(new Uint8Array([1]));
    file.close();
    const deadline = Date.now() + 5_000;
    while (!kinds.includes("modify") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(kinds.includes("modify"), `events: ${kinds}`);
  } finally {
    watcher.close();
    await seen;
    await Deno.remove(dir, { recursive: true });
  }
  // Linux says "access" for the close; whatever else a platform reports, one write is one wake-up.
  assert.equal(announced.filter(Boolean).length, 1, `events: ${kinds}`);
  assert.equal(announcesWork({ kind: "access", paths: [path] }), false);
  assert.equal(announcesWork({ kind: "modify", paths: [path] }), true);
});
