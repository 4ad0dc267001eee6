/**
 * Settings kept in the store (`queuectl config set KEY VALUE`), with their defaults and checks.
 * Every duration is in seconds; decimals are allowed where a key says so.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { validateHook } from "./job_spec.ts";
import { defaultShell, parseShell, SHELL_CHOICES } from "./shell.ts";

/**
 * The lease a claim takes: it survives `lease_heartbeats` missed heartbeats (here, not in the
 * worker's job_runner.ts, so that `status` judging liveness loads none of the worker).
 */
export function leaseDurationMs(config: Config): number {
  return Math.round(config.heartbeatInterval * config.leaseHeartbeats * 1000);
}

/** The settings every worker and command reads. */
export interface Config {
  /** Retries after the first run before a job is dead (per-job `max_retries` overrides). */
  maxRetries: number;
  /** A failed run waits `backoff_base ^ attempts` seconds before the next. */
  backoffBase: number;
  /** The longest wait between runs, in seconds. */
  maxBackoff: number;
  /** How often an idle worker looks for due jobs when no wake-up arrives, in seconds. */
  pollInterval: number;
  /** How often a worker process proves it is alive and extends its leases, in seconds. */
  heartbeatInterval: number;
  /** Heartbeats a lease survives without renewal before its job is rescued. */
  leaseHeartbeats: number;
  /** Default per-run time limit in seconds; 0 means none. */
  jobTimeout: number;
  /** Seconds between SIGTERM and SIGKILL when a run is stopped. */
  killGrace: number;
  /** Bytes of each output stream (stdout, stderr) kept per run: the tail. */
  outputLimit: number;
  /** Seconds after which workers delete completed and canceled jobs; 0 keeps them. */
  retention: number;
  /** The shell of jobs that name none; its default is the worker's platform's (`sh`, `cmd`). */
  shell: string;
  /**
   * Finish hooks of every job (a command or a webhook URL; "" for none), read by the store when
   * a job ends completed, dead or canceled (see `finish_hooks.ts`), not by workers.
   */
  onCompleted: string;
  onDead: string;
  onCanceled: string;
}

/** What a key is called, its default, what it means and how its value is checked. */
interface KeyDefinition {
  field: keyof Config;
  defaultValue: number | string;
  description: string;
  parse(text: string): number | string;
}

function integerAtLeast(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string) => {
    const value = Number(text.trim());
    if (text.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`expected an integer from ${min} to ${max}`);
    }
    return value;
  };
}

/** A finish hook: a command or an http(s) URL (`validateHook`); unset the key for none. */
function hookTarget(key: string) {
  return (text: string) => {
    if (text.trim() === "") {
      throw new Error(
        `expected a command or an http(s) URL (to remove the hook: queuectl config unset ${key})`,
      );
    }
    try {
      return validateHook(text, key);
    } catch (error) {
      // "Invalid on_dead: it contains a NUL byte" → the reason alone, as the other keys give.
      const message = (error as Error).message;
      const prefix = `Invalid ${key}: `;
      throw new Error(message.startsWith(prefix) ? message.slice(prefix.length) : message);
    }
  };
}

function numberAtLeast(min: number, max: number, exclusiveMin = false) {
  return (text: string) => {
    const value = Number(text.trim());
    const tooSmall = exclusiveMin ? value <= min : value < min;
    if (text.trim() === "" || !Number.isFinite(value) || tooSmall || value > max) {
      throw new Error(`expected a number ${exclusiveMin ? "above" : "from"} ${min} to ${max}`);
    }
    return value;
  };
}

/** The config keys, by their canonical (snake_case) name. */
export const CONFIG_KEYS: Readonly<Record<string, KeyDefinition>> = {
  max_retries: {
    field: "maxRetries",
    defaultValue: 3,
    description: "retries after the first run before a job is dead",
    parse: integerAtLeast(0, 1000),
  },
  backoff_base: {
    field: "backoffBase",
    defaultValue: 2,
    description: "a failed run waits backoff_base ^ attempts seconds",
    parse: numberAtLeast(1, 1000),
  },
  max_backoff: {
    field: "maxBackoff",
    defaultValue: 3600,
    description: "the longest wait between runs, in seconds",
    parse: integerAtLeast(0, 31_536_000),
  },
  poll_interval: {
    field: "pollInterval",
    defaultValue: 1,
    description: "seconds an idle worker waits before looking again without a wake-up",
    parse: numberAtLeast(0.01, 3600),
  },
  heartbeat_interval: {
    field: "heartbeatInterval",
    defaultValue: 5,
    description: "seconds between a worker process's heartbeats",
    parse: numberAtLeast(0.1, 3600),
  },
  lease_heartbeats: {
    field: "leaseHeartbeats",
    defaultValue: 3,
    description: "missed heartbeats after which a job's lease expires and it is rescued",
    parse: integerAtLeast(2, 1000),
  },
  job_timeout: {
    field: "jobTimeout",
    defaultValue: 0,
    description: "default time limit of a run in seconds (0 = none)",
    parse: numberAtLeast(0, 2_592_000),
  },
  kill_grace: {
    field: "killGrace",
    defaultValue: 5,
    description: "seconds between SIGTERM and SIGKILL when a run is stopped",
    parse: numberAtLeast(0, 3600),
  },
  output_limit: {
    field: "outputLimit",
    defaultValue: 1_048_576,
    description: "bytes of stdout and of stderr kept per run (the tail)",
    parse: integerAtLeast(1024, 1_073_741_824),
  },
  retention: {
    field: "retention",
    defaultValue: 0,
    description: "seconds after which workers delete completed and canceled jobs (0 = keep)",
    parse: integerAtLeast(0, 3_153_600_000),
  },
  shell: {
    field: "shell",
    // Where the worker runs, not where this is read: an unset key means each worker's own.
    defaultValue: defaultShell(),
    description: "the shell that runs jobs naming none (choices: enqueue --help)",
    parse: (text) => {
      const shell = parseShell(text.trim());
      if (shell === undefined) throw new Error(`expected ${SHELL_CHOICES}`);
      return shell;
    },
  },
  on_completed: {
    field: "onCompleted",
    defaultValue: "",
    description: "hook of every job that completes: a command or an http(s) URL",
    parse: hookTarget("on_completed"),
  },
  on_dead: {
    field: "onDead",
    defaultValue: "",
    description: "hook of every job that ends dead (DLQ): a command or an http(s) URL",
    parse: hookTarget("on_dead"),
  },
  on_canceled: {
    field: "onCanceled",
    defaultValue: "",
    description: "hook of every job that is canceled: a command or an http(s) URL",
    parse: hookTarget("on_canceled"),
  },
};

/** Maps `max-retries` and `max_retries` alike to the canonical key, or throws a usage error. */
export function canonicalConfigKey(key: string): string {
  const canonical = key.trim().toLowerCase().replaceAll("-", "_");
  // Own keys only: "constructor" and "__proto__" are no config keys, whatever objects inherit.
  if (!Object.hasOwn(CONFIG_KEYS, canonical)) {
    throw new UsageError(
      `Unknown config key ${JSON.stringify(key)}: known keys are ${
        Object.keys(CONFIG_KEYS).join(", ")
      }`,
    );
  }
  return canonical;
}

/** Checks a value for a key and returns the text to store (normalised, e.g. `" 3"` → `"3"`). */
export function parseConfigValue(key: string, text: string): string {
  const canonical = canonicalConfigKey(key);
  try {
    return String(CONFIG_KEYS[canonical].parse(text));
  } catch (error) {
    throw new UsageError(
      `Invalid value ${JSON.stringify(text)} for ${canonical}: ${(error as Error).message}`,
    );
  }
}

/** The defaults, as a `Config`. */
export function defaultConfig(): Config {
  const config = {} as ConfigValues;
  for (const definition of Object.values(CONFIG_KEYS)) {
    config[definition.field] = definition.defaultValue;
  }
  return config as Config;
}

/** A `Config` as its definitions see it: each field set by its key's `parse`. */
type ConfigValues = Record<keyof Config, number | string>;

/** A stored value as its key reads it (`"3"` → 3); the text itself when this version cannot. */
export function storedConfigValue(key: string, text: string): number | string {
  try {
    return CONFIG_KEYS[key].parse(text);
  } catch {
    return text;
  }
}

/** Builds a `Config` from the stored overrides (canonical key → text); bad rows are ignored. */
export function configFromOverrides(overrides: Readonly<Record<string, string>>): Config {
  const config: ConfigValues = defaultConfig();
  for (const [key, text] of Object.entries(overrides)) {
    if (!Object.hasOwn(CONFIG_KEYS, key)) continue;
    const definition = CONFIG_KEYS[key];
    try {
      config[definition.field] = definition.parse(text);
    } catch {
      // A value written by a newer version that this one cannot read: keep the default.
    }
  }
  return config as Config;
}
