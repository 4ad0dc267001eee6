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

/** `import NAME from "PATH" with { type: "text" };`: a static text import of a literal path. */
const TEXT_IMPORT = /^import\s+\w+\s+from\s+"([^"]+)"\s+with\s*\{\s*type:\s*"text"\s*\};?$/gm;

/**
 * Every module in the graph of `modules` (paths relative to the project) as `deno info` sees it,
 * text-imported files included, by specifier.
 */
async function moduleGraph(modules: string[]): Promise<Set<string>> {
  const dir = await Deno.makeTempDir();
  try {
    const roots = `${dir}/roots.ts`;
    const lines = modules.map((module) => `import "${new URL(module, root)}";`);
    await Deno.writeTextFile(roots, lines.join("\n") + "\n");
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", fileURLToPath(new URL("deno.json", root)), roots],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const graph = JSON.parse(new TextDecoder().decode(stdout));
    return new Set(graph.modules.map((module: { specifier: string }) => module.specifier));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("every text-imported asset is in the module graph deno compile embeds", async () => {
  // deno compile embeds every file of its module graph, text imports included (stable since
  // Deno 2.8: no flag, no --include). An asset imported by a computed path, or by a module the
  // graph does not reach, would be missing from the binary: the dashboard would serve nothing.
  const assets: string[] = [];
  for (const file of await sourceFiles(new URL("src/", root))) {
    if (file.pathname.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(file);
    const imports = [...text.matchAll(TEXT_IMPORT)].map((match) => new URL(match[1], file));
    const attributes = text.match(/type:\s*"(text|bytes)"/g)?.length ?? 0;
    assert.equal(
      imports.length,
      attributes,
      `${file.pathname}: a text or bytes import that is not \`import NAME from "PATH" with …\``,
    );
    for (const asset of imports) {
      assert.ok((await Deno.stat(asset)).isFile, `${asset.pathname} is not a file`);
      assets.push(asset.href);
    }
  }
  assert.ok(assets.length >= 2, `only ${assets.length} text imports found in src/`);
  // The graph deno compile builds: main.ts and every module it is given with --include.
  const graph = await moduleGraph(["main.ts", ...await dynamicModules(fileURLToPath(root))]);
  for (const asset of assets) assert.ok(graph.has(asset), `${asset} is not in the compile's graph`);
});

Deno.test("the library and the dashboard reach no module of the CLI", async () => {
  // The JSON contract they share with the CLI is src/json_contract.ts; what is in src/cli/ is
  // the CLI's own (and the library would carry it to every program that imports mod.ts).
  for (const entry of ["mod.ts", "src/dashboard/server.ts"]) {
    const cli = [...await moduleGraph([entry])].filter((module) =>
      module.startsWith(new URL("src/cli/", root).href)
    );
    assert.deepEqual(cli, [], `${entry} imports the CLI`);
  }
});

Deno.test("no command imports another command, and nothing outside src/cli imports the CLI", async () => {
  const commands = new URL("src/cli/commands/", root);
  for await (const entry of Deno.readDir(commands)) {
    // A command's own tests may import the commands they test.
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(new URL(entry.name, commands));
    // What commands share lives beside them in src/cli/ (flags.ts, render.ts, worker_log.ts).
    assert.doesNotMatch(text, /from "\.\/[^"]+"/, `${entry.name} imports another command`);
  }
  for (const file of await sourceFiles(new URL("src/", root))) {
    if (file.href.startsWith(new URL("src/cli/", root).href)) continue;
    const text = await Deno.readTextFile(file);
    assert.doesNotMatch(text, /from "[^"]*\/cli\/[^"]*"/, `${file.pathname} imports the CLI`);
  }
});

/**
 * The modules `entry` imports statically (what loads before it runs; a dynamic import loads
 * only when it runs), by specifier.
 */
async function staticImports(entry: string): Promise<Set<string>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", fileURLToPath(new URL(entry, root))],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const graph = JSON.parse(new TextDecoder().decode(stdout));
  type Dependency = { isDynamic?: boolean; code?: { specifier: string } };
  const modules = new Map<string, { dependencies?: Dependency[] }>(
    graph.modules.map((module: { specifier: string }) => [module.specifier, module]),
  );
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    if (seen.has(specifier)) return;
    seen.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (!dependency.isDynamic && dependency.code) visit(dependency.code.specifier);
    }
  };
  visit(graph.roots[0]);
  return seen;
}

Deno.test("a command and a worker slot load no node: module but node:sqlite, and no npm: one, before they run", async () => {
  // Importing node:path, node:url or node:util starts Deno's Node compatibility layer, and an
  // npm package more: enqueue went 107 → 91 ms without them (src/paths.ts), and every worker slot
  // would carry them. Loaded when needed, they cost only the calls that need them (PostgreSQL,
  // the worker's logging). The commands that write service files run once per machine.
  const mayLoadNode = new Set(["service_install.ts", "service_uninstall.ts"]);
  const entries = ["main.ts", "src/worker/web_worker.ts"];
  for await (const entry of Deno.readDir(new URL("src/cli/commands/", root))) {
    if (entry.name.endsWith("_test.ts") || mayLoadNode.has(entry.name)) continue;
    entries.push(`src/cli/commands/${entry.name}`);
  }
  assert.ok(entries.length > 30, `only ${entries.length} entries found`);
  const graphs = await Promise.all(entries.map(staticImports));
  entries.forEach((entry, index) => {
    const node = [...graphs[index]].filter((specifier) =>
      specifier.startsWith("npm:") || specifier.startsWith("node:") && specifier !== "node:sqlite"
    );
    assert.deepEqual(node, [], `${entry} loads ${node.join(", ")} before it runs`);
  });
});
