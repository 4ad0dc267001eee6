/**
 * A small disk for the tests of a full one: a tmpfs of a few MiB mounted over a sandbox's
 * directory, filled by a file that can be removed to give the space back. Mounting needs root
 * on Linux: where it is refused, `needsSmallDisk` registers the test as ignored, its name saying
 * why, or, with `QUEUECTL_REQUIRE_TOOLS=1` (set by `.ci/run`, which runs as root), as a test that
 * fails and says why (as `needsTools` does for programs).
 *
 * @module
 */
import { join } from "node:path";
import { TEST_STORE } from "./cli.ts";
import { REQUIRE_TOOLS } from "./tools.ts";

/** What a test or a test step is registered with (the shape both share). */
interface Definition {
  name: string;
  ignore?: boolean;
  fn: (context: never) => unknown;
}

/** A tmpfs mounted over a directory. */
export interface SmallDisk {
  /** The mounted directory. */
  dir: string;
  /** Writes a file until the disk has no page left. */
  fill(): Promise<void>;
  /** Removes that file: the space is back. */
  free(): Promise<void>;
  /** Unmounts the tmpfs (lazily if something still holds it): its files are gone. */
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `size` (as `mount -o size=` takes it) over the directory `dir`. */
export async function mountSmallDisk(dir: string, size = "2m"): Promise<SmallDisk> {
  await run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir]);
  const filler = join(dir, "filler");
  return {
    dir,
    async fill() {
      const file = await Deno.open(filler, { write: true, create: true, append: true });
      const page = new Uint8Array(4096);
      try {
        for (;;) await file.write(page);
      } catch (error) {
        if (!/no space left on device/i.test(String(error))) throw error;
      } finally {
        file.close();
      }
    },
    async free() {
      await Deno.remove(filler);
    },
    async unmount() {
      try {
        await run("umount", [dir]);
      } catch {
        await run("umount", ["-l", dir]);
      }
    },
  };
}

/**
 * `definition` when a tmpfs can be mounted here; otherwise the same test ignored, or failing
 * under `QUEUECTL_REQUIRE_TOOLS=1`, saying why it cannot.
 */
export function needsSmallDisk<T extends Definition>(definition: T): T {
  if (MOUNT_REFUSED === undefined || definition.ignore) return definition;
  const reason = `cannot mount a tmpfs: ${MOUNT_REFUSED}`;
  if (!REQUIRE_TOOLS) {
    return { ...definition, name: `${definition.name} [ignored: ${reason}]`, ignore: true };
  }
  return {
    ...definition,
    fn: () => {
      throw new Error(`QUEUECTL_REQUIRE_TOOLS=1 but ${reason} (.ci/run runs the tests as root)`);
    },
  };
}

/** Why mounting is refused here, or undefined when it works (only looked at on SQLite). */
const MOUNT_REFUSED: string | undefined = TEST_STORE === "sqlite" ? await tryMount() : undefined;

async function tryMount(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return `tmpfs mounts are Linux's, this is ${Deno.build.os}`;
  const dir = await Deno.makeTempDir({ prefix: "queuectl-mount-probe-" });
  try {
    const disk = await mountSmallDisk(dir, "64k");
    await disk.unmount();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

async function run(program: string, args: string[]): Promise<void> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (error) {
    throw new Error(`${program} cannot be run: ${error instanceof Error ? error.message : error}`);
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim();
    throw new Error(`${program} ${args.join(" ")} exited ${output.code}: ${stderr}`);
  }
}
