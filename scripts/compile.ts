/**
 * `deno task compile [--target TRIPLE] [--output PATH] [--archive] [--dry-run]`: builds the
 * queuectl binary with `deno compile`, the one place that knows how.
 *
 * - no flags: `dist/queuectl` (`dist/queuectl.exe` on Windows) for this machine;
 * - `--target TRIPLE`: cross-compiles, to `dist/TRIPLE/queuectl[.exe]` unless `--output` says;
 * - `--archive`: also packs the binary as a release asset, `dist/queuectl-TRIPLE.tar.gz` (`.zip`
 *   for Windows), with `ASSET.sha256` beside it in `sha256sum`'s format. The names carry no
 *   version so that `…/releases/latest/download/ASSET` always works (install.sh relies on it).
 *   Packing runs `tar` or `zip`: the release workflow packs every target on Linux;
 * - `--dry-run`: prints the steps instead of running them.
 *
 * The binary gets the narrowest permissions that keep every command and guarantee working (see
 * `permissionFlags`). `deno compile` bundles only what it can follow from main.ts, so every Web
 * Worker module and every command module (loaded by a computed path) is passed with `--include`,
 * and `--exclude-unused-npm` leaves out the npm packages only tests use (playwright-core alone is
 * 13 MB). Files imported as text (`import APP_JS from "./assets/app.js" with { type: "text" }`:
 * the dashboard's page) need nothing: they are part of the module graph, which the binary embeds
 * (text imports are stable since Deno 2.8, so no `--unstable-raw-imports` either);
 * tests/project_test.ts checks that each one is in that graph.
 *
 * @module
 */
// POSIX paths on every OS: deno compile, tar and zip take them, and --dry-run prints the same.
import { basename, dirname, join } from "node:path/posix";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The targets a release is built for (`deno compile --target` cross-compiles to each). */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/**
 * Modules started as Web Workers (`new Worker(new URL(…))`): `deno compile` cannot see them
 * through static imports, so each must be included by hand. tests/project_test.ts checks that
 * every one in src/ is listed here.
 */
export const WORKER_MODULES = ["src/worker/web_worker.ts"];

/**
 * Where src/cli/command_index.ts loads each command from, by a path it computes at run time,
 * which `deno compile` cannot follow.
 */
const COMMANDS_DIR = "src/cli/commands";

/** The modules to `--include`: Web Workers, then commands, as paths relative to `root`. */
export async function dynamicModules(root: string): Promise<string[]> {
  const commands: string[] = [];
  for await (const entry of Deno.readDir(join(root, COMMANDS_DIR))) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) {
      commands.push(join(COMMANDS_DIR, entry.name));
    }
  }
  return [...WORKER_MODULES, ...commands.sort()];
}

/**
 * What the binary may do, and why, on macOS and Windows. Each was found by running every command
 * (enqueue, `worker start --count 2` with and without `--detach`, `worker stop`, status,
 * `dashboard --port 0`, a PostgreSQL URL) with it taken away. None takes an allow-list: the paths,
 * hosts, programs and variables are the user's to choose at run time.
 */
const NARROW_PERMISSIONS = [
  // The database (anywhere --db or QUEUECTL_DB says), its wake-up file, the worker log.
  "--allow-read",
  "--allow-write",
  // QUEUECTL_*, HOME and XDG_* to find the database, and the whole environment, which each job
  // inherits (minus QUEUECTL_*).
  "--allow-env",
  // Jobs (`sh -c`, through `setsid` where it exists), `worker start --detach` (which runs the
  // binary again: a path unknown at build time) and the signals of stop and cancel. Unrestricted
  // because a job's environment may hold LD_*/DYLD_* variables, which Deno lets only a fully
  // allowed --allow-run pass on; subprocesses are not sandboxed anyway.
  "--allow-run",
  // The dashboard's listener and PostgreSQL connections.
  "--allow-net",
  // hostname: the host id recorded for each worker process. userInfo, uid, gid: the PostgreSQL
  // driver's default user name (os.userInfo()) when the URL names none.
  "--allow-sys=hostname,userInfo,uid,gid",
  // Not --allow-ffi: node:sqlite is built into Deno, and only Linux (whose binary has every
  // permission, see below) starts jobs through posix_spawn (src/worker/session_spawn.ts).
];

/**
 * The permission flags of a binary for `target`. On Linux, a worker tells its own and its jobs'
 * processes from pid reuse by their start time in /proc/PID/stat, and Deno lets only a process
 * with every permission read /proc/PID/* (not even --allow-read=/proc will do). With the narrow
 * set those reads fail quietly: a crashed worker's job is then rescued only when its lease
 * expires, and its still-running process group is not killed, so it runs twice at once.
 */
export function permissionFlags(target: string): string[] {
  return target.includes("-linux-") ? ["--allow-all"] : NARROW_PERMISSIONS;
}

/** The file name of the binary for `target`. */
export function binaryName(target: string): string {
  return target.includes("-windows-") ? "queuectl.exe" : "queuectl";
}

/** The release asset of `target`: the same name for every version. */
export function archiveName(target: string): string {
  return `queuectl-${target}${target.includes("-windows-") ? ".zip" : ".tar.gz"}`;
}

/** One thing to do, with paths relative to the project: run a program, or a file operation. */
export type Step =
  | { run: string[] }
  | { mkdir: string }
  | { remove: string }
  | { sha256: string; to: string };

/** What to build. */
export interface CompileOptions {
  /** A Rust target triple; undefined: this machine's. */
  target?: string;
  /** Where the binary goes; undefined: see the module doc. */
  output?: string;
  /** Whether to pack a release asset with its checksum too. */
  archive?: boolean;
}

/**
 * The steps that build what `options` ask for, in order; `includes` are the modules to
 * `--include` (see `dynamicModules`).
 */
export function compileSteps(
  options: CompileOptions,
  includes: string[],
  hostTarget: string = Deno.build.target,
): Step[] {
  const target = options.target ?? hostTarget;
  if (options.target !== undefined && !(RELEASE_TARGETS as readonly string[]).includes(target)) {
    throw new Error(
      `Unsupported target "${target}": expected one of ${RELEASE_TARGETS.join(", ")}`,
    );
  }
  if (options.archive && options.output !== undefined) {
    throw new Error("--output and --archive do not go together: the archive names its binary");
  }
  const output = options.output ?? defaultOutput(options, target);
  const steps: Step[] = [
    { mkdir: dirname(output) },
    { run: compileCommand({ target, output, includes, cross: options.target !== undefined }) },
  ];
  if (options.archive) steps.push(...archiveSteps(target, output));
  return steps;
}

function defaultOutput(options: CompileOptions, target: string): string {
  // A release build gets a directory of its own, so that its binary has the plain name the
  // archive needs and builds for several targets do not overwrite each other.
  if (options.target !== undefined || options.archive) {
    return join("dist", target, binaryName(target));
  }
  return join("dist", binaryName(target));
}

function compileCommand(
  { target, output, includes, cross }: {
    target: string;
    output: string;
    includes: string[];
    cross: boolean;
  },
): string[] {
  return [
    "deno",
    "compile",
    ...(cross ? ["--target", target] : []),
    "--output",
    output,
    "--exclude-unused-npm",
    ...includes.flatMap((module) => ["--include", module]),
    ...permissionFlags(target),
    "main.ts",
  ];
}

function archiveSteps(target: string, binary: string): Step[] {
  const archive = join("dist", archiveName(target));
  // zip -j and tar -C both store the binary at the archive's top level, under its plain name.
  const pack = target.includes("-windows-")
    ? ["zip", "-j", "-q", archive, binary]
    : ["tar", "-czf", archive, "-C", dirname(binary), basename(binary)];
  // zip adds to an archive that exists: start from none.
  return [{ remove: archive }, { run: pack }, { sha256: archive, to: `${archive}.sha256` }];
}

/** A step as a shell line, for `--dry-run` and for the log. */
export function describeStep(step: Step): string {
  if ("mkdir" in step) return `mkdir -p ${shellQuote(step.mkdir)}`;
  if ("remove" in step) return `rm -f ${shellQuote(step.remove)}`;
  if ("sha256" in step) return `sha256 ${shellQuote(step.sha256)} > ${shellQuote(step.to)}`;
  return step.run.map(shellQuote).join(" ");
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Runs `step` in the project's directory `root`. */
export async function runStep(step: Step, root: string): Promise<void> {
  if ("mkdir" in step) return await Deno.mkdir(join(root, step.mkdir), { recursive: true });
  if ("remove" in step) return await Deno.remove(join(root, step.remove)).catch(() => {});
  if ("sha256" in step) return await writeChecksum(join(root, step.sha256), join(root, step.to));
  const [program, ...args] = step.run;
  const { code } = await new Deno.Command(program === "deno" ? Deno.execPath() : program, {
    args,
    cwd: root,
  }).spawn().status;
  if (code !== 0) throw new Error(`"${describeStep(step)}" exited with ${code}`);
}

/** Writes `file`'s SHA-256 in sha256sum's format (two spaces), which `sha256sum -c` checks. */
async function writeChecksum(file: string, to: string): Promise<void> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(file)));
  const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(to, `${hex}  ${basename(file)}\n`);
}

function parseCompileArgs(args: string[]): CompileOptions & { dryRun: boolean } {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      output: { type: "string" },
      archive: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
    },
  });
  return {
    target: values.target,
    output: values.output,
    archive: values.archive,
    dryRun: values["dry-run"],
  };
}

if (import.meta.main) {
  const root = fileURLToPath(new URL("../", import.meta.url)).replaceAll("\\", "/");
  try {
    const options = parseCompileArgs(Deno.args);
    for (const step of compileSteps(options, await dynamicModules(root))) {
      console.log(describeStep(step));
      if (!options.dryRun) await runStep(step, root);
    }
  } catch (error) {
    console.error(`compile: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
