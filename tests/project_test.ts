import assert from "node:assert/strict";
import { VERSION } from "../src/version.ts";

const root = new URL("../", import.meta.url);
const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));

async function sourceFiles(dir: URL): Promise<URL[]> {
  const files: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) files.push(...await sourceFiles(url));
    else if (entry.name.endsWith(".ts")) files.push(url);
  }
  return files;
}

Deno.test("the version in src/version.ts is the one in deno.json", () => {
  assert.equal(VERSION, denoJson.version);
});

Deno.test("every Web Worker module is passed to deno compile with --include", async () => {
  const compile: string = denoJson.tasks.compile;
  const workerModules: string[] = [];
  for (const file of await sourceFiles(new URL("src/", root))) {
    // Tests start Web Workers of their own, which the binary never runs.
    if (file.pathname.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(file);
    for (const match of text.matchAll(/new Worker\(\s*new URL\(\s*"([^"]+)"/g)) {
      workerModules.push(new URL(match[1], file).pathname.slice(root.pathname.length));
    }
  }
  assert.ok(workerModules.length > 0, "no Web Worker module found in src/");
  for (const module of workerModules) {
    assert.match(compile, new RegExp(`--include[ =]${module.replaceAll(".", "\\.")}\\b`), module);
  }
});
