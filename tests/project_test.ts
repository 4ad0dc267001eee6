import assert from "node:assert/strict";
import { compileSteps, describeStep, dynamicModules, RELEASE_TARGETS } from "../scripts/compile.ts";
import { fileURLToPath } from "node:url";
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

/** The `deno compile` command lines that scripts/compile.ts runs, for this machine and each target. */
async function compileCommandLines(): Promise<string[]> {
  const includes = await dynamicModules(fileURLToPath(root));
  return [undefined, ...RELEASE_TARGETS].flatMap((target) =>
    compileSteps({ target }, includes)
      .filter((step) => "run" in step && step.run[1] === "compile")
      .map(describeStep)
  );
}

function assertIncluded(commands: string[], module: string): void {
  for (const command of commands) {
    assert.match(
      command,
      new RegExp(`--include[ =]${module.replaceAll(".", "\\.")}(\\s|$)`),
      module,
    );
  }
}

Deno.test("every Web Worker module is passed to deno compile with --include", async () => {
  assert.match(denoJson.tasks.compile, /scripts\/compile\.ts/, "the compile task runs the script");
  const commands = await compileCommandLines();
  assert.equal(commands.length, RELEASE_TARGETS.length + 1);
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
  for (const module of workerModules) assertIncluded(commands, module);
});

Deno.test("every command module is passed to deno compile with --include", async () => {
  // command_index.ts imports each command by a path computed at run time, which deno compile
  // cannot follow: without --include the binary would lack every command.
  const index = await Deno.readTextFile(new URL("src/cli/command_index.ts", root));
  const names = [...index.matchAll(/loadCommand\("(\w+)"/g)].map((match) => match[1]);
  assert.ok(names.length >= 20, `only ${names.length} commands found in command_index.ts`);
  const commands = await compileCommandLines();
  for (const name of names) {
    const module = `src/cli/commands/${name}.ts`;
    const exists = await Deno.stat(new URL(module, root)).then(() => true, () => false);
    assert.ok(exists, `command_index.ts loads ${module}, which does not exist`);
    assertIncluded(commands, module);
  }
});
