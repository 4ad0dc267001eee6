import { join } from "node:path";
import { StoreUnavailableError, UsageError } from "../errors.ts";

/** Where the store is, and which kind it is. */
export type StoreLocation = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

/**
 * Resolves the store: `--db` beats `QUEUECTL_DB`, which beats
 * `${XDG_DATA_HOME:-~/.local/share}/queuectl/queue.db`.
 */
export function resolveStoreLocation(
  flag: string | undefined,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): StoreLocation {
  const given = flag ?? env("QUEUECTL_DB");
  if (given !== undefined) return parseStoreLocation(given);
  const dataHome = env("XDG_DATA_HOME") || join(homeDirectory(env), ".local", "share");
  return { kind: "sqlite", path: join(dataHome, "queuectl", "queue.db") };
}

function parseStoreLocation(value: string): StoreLocation {
  if (value.trim() === "") throw new UsageError("Invalid database location: it is empty");
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: "postgres", url: value };
  if (value.startsWith("file://")) return { kind: "sqlite", path: new URL(value).pathname };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(
      `Unsupported database location "${
        value.split("://")[0]
      }://…": use a file path or postgres://`,
    );
  }
  return { kind: "sqlite", path: value };
}

function homeDirectory(env: (name: string) => string | undefined): string {
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new StoreUnavailableError(
      "Cannot find a default database location: HOME is not set; pass --db or set QUEUECTL_DB",
    );
  }
  return home;
}
