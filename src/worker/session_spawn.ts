/**
 * Starting a job's shell as the leader of a new session on Linux with one exec: glibc's
 * `posix_spawn` with `POSIX_SPAWN_SETSID`, called through Deno's FFI. `Deno.Command` has no way
 * to ask for a session (its `detached` makes no new process group on Linux), so without this
 * every job is started through `setsid`: one exec more per job, which on a small machine costs
 * about as much CPU as the job's `sh` itself (see the drain bench's "xargs + setsid" row).
 *
 * What `Deno.Command` otherwise does for us is done here, with as few thread hops as possible:
 * - stdin is `/dev/null`; stdout and stderr are pipes (close-on-exec, so that no other spawn
 *   inherits them); SIGPIPE is reset to its default and no signal is blocked in the child (the
 *   worker ignores SIGPIPE, and an ignored signal would be inherited);
 * - the program is looked up in the job's own `PATH`, as `Deno.Command` does with `clearEnv`
 *   (what was found is kept a second: `ExecutableLookups`);
 * - one `poll()` on the two pipes and a pidfd of the child (Linux 5.3+) waits for output and for
 *   the exit at once, on Deno's blocking thread pool (an FFI call marked `nonblocking`); the exit
 *   is then reaped with `waitpid(pid, WNOHANG)`. Nothing else in the process waits for children
 *   it did not start itself, so nothing else reaps ours.
 *
 * Used only where it was seen to work: on Linux with glibc, the first spawn checks that every
 * piece is there (`sessionSpawnAvailable`); anywhere else, or if any piece is missing (musl, a
 * kernel without pidfd_open), `run_command.ts` keeps starting jobs through `setsid`.
 *
 * @module
 */
import { ExecutableLookups } from "../find_executable.ts";
import type { SpawnedProcess } from "./hidden_spawn.ts";

/** Where and with what environment to start the process. */
export interface SessionSpawnOptions {
  /** The whole environment the process sees (its `PATH` finds the program). */
  env: Record<string, string>;
  /** Where it runs (default: this process's directory). */
  cwd?: string;
}

const SYMBOLS = {
  posix_spawn: {
    parameters: ["buffer", "buffer", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  posix_spawn_file_actions_init: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawn_file_actions_adddup2: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  posix_spawn_file_actions_addopen: {
    parameters: ["buffer", "i32", "buffer", "i32", "u32"],
    result: "i32",
  },
  posix_spawn_file_actions_addchdir_np: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_init: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_destroy: { parameters: ["buffer"], result: "i32" },
  posix_spawnattr_setflags: { parameters: ["buffer", "i16"], result: "i32" },
  posix_spawnattr_setsigmask: { parameters: ["buffer", "buffer"], result: "i32" },
  posix_spawnattr_setsigdefault: { parameters: ["buffer", "buffer"], result: "i32" },
  sigemptyset: { parameters: ["buffer"], result: "i32" },
  sigaddset: { parameters: ["buffer", "i32"], result: "i32" },
  pipe2: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // glibc's syscall() is not variadic in the way that matters here: integers go in registers.
  syscall: { parameters: ["i64", "i64", "i64"], result: "i64" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// glibc on Linux (x86_64 and aarch64 alike).
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const SIGPIPE = 13;
const WNOHANG = 1;
const POLLIN = 0x1;
const EINTR = 4;
const ENOENT = 2;
const EACCES = 13;
const ENOTDIR = 20;
const SYS_PIDFD_OPEN = 434n; // The same number on every Linux architecture.
/** Bytes reserved for glibc's opaque structs (posix_spawnattr_t is 336, sigset_t 128). */
const OPAQUE_BYTES = 1024;
/** The most bytes taken from a pipe per read (as Deno's own pipes do). */
const READ_BYTES = 64 * 1024;
/** A wait for output or exit wakes up at least this often, to notice a stream given up. */
const POLL_TIMEOUT_MS = 1_000;

let libc: Libc | null | undefined;

/**
 * Whether jobs can be started through `spawnInSession` here: Linux, glibc with
 * `POSIX_SPAWN_SETSID` (2.26+), a kernel with pidfd_open (5.3+). Checked once.
 */
export function sessionSpawnAvailable(): boolean {
  if (libc !== undefined) return libc !== null;
  libc = null;
  if (Deno.build.os !== "linux") return false;
  try {
    const symbols = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    // Every piece, once: a flag glibc does not know, or no pidfd_open, and the old way stays.
    const attr = new Uint8Array(OPAQUE_BYTES);
    if (symbols.posix_spawnattr_init(attr) !== 0) return false;
    const flagsKnown = symbols.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID) === 0;
    symbols.posix_spawnattr_destroy(attr);
    if (!flagsKnown) return false;
    const pidfd = Number(symbols.syscall(SYS_PIDFD_OPEN, BigInt(Deno.pid), 0n));
    if (pidfd < 0) return false;
    symbols.close(pidfd);
    libc = symbols;
    return true;
  } catch {
    return false; // Not glibc (musl names its library otherwise), or FFI not allowed.
  }
}

/**
 * Starts `program` with `args` as the leader of a new session (its pid is its process group's
 * id), stdin from /dev/null, stdout and stderr piped. Throws, as `Deno.Command#spawn` does, when
 * it cannot start: "Failed to spawn 'PROGRAM': REASON". Only when `sessionSpawnAvailable()`.
 */
export function spawnInSession(
  program: string,
  args: string[],
  options: SessionSpawnOptions,
): SpawnedProcess {
  return spawn(program, args, options, false);
}

/** Programs found on `PATH`, kept a second: every job starts the same `sh`. */
const lookups = new ExecutableLookups();

/** Errors of a `posix_spawn` of a file that is not (or no longer) where it was found. */
const GONE = new Set([ENOENT, EACCES, ENOTDIR]);

function spawn(
  program: string,
  args: string[],
  options: SessionSpawnOptions,
  fresh: boolean,
): SpawnedProcess {
  if (!sessionSpawnAvailable()) throw new Error("posix_spawn is not available here");
  const c = libc!;
  const searched = !program.includes("/");
  const path = searched
    ? lookups.find(program, options.env.PATH ?? Deno.env.get("PATH"), fresh)
    : program;
  if (path === undefined) throw new Error(`Failed to spawn '${program}': entity not found`);
  const environment = Object.entries(options.env).map(([name, value]) => `${name}=${value}`);
  if ([...args, ...environment, options.cwd ?? ""].some((text) => text.includes("\0"))) {
    throw new Error(`Failed to spawn '${program}': an argument holds a NUL character`);
  }
  const out = pipe(c);
  let err: { read: number; write: number };
  try {
    err = pipe(c);
  } catch (error) {
    c.close(out.read);
    c.close(out.write);
    throw error;
  }
  const actions = new Uint8Array(OPAQUE_BYTES);
  const attr = new Uint8Array(OPAQUE_BYTES);
  c.posix_spawn_file_actions_init(actions);
  c.posix_spawnattr_init(attr);
  const devNull = cString("/dev/null");
  const cwd = options.cwd === undefined ? undefined : cString(options.cwd);
  // argv[0] as given (`sh`, as `$0` shows it), the file found on PATH apart.
  const argv = cStringArray([program, ...args]);
  const envp = cStringArray(environment);
  const file = cString(path);
  const pid = new Int32Array(1);
  let failed: number;
  try {
    c.posix_spawn_file_actions_addopen(actions, 0, devNull, O_RDONLY, 0);
    c.posix_spawn_file_actions_adddup2(actions, out.write, 1);
    c.posix_spawn_file_actions_adddup2(actions, err.write, 2);
    if (cwd) c.posix_spawn_file_actions_addchdir_np(actions, cwd);
    const noSignals = new Uint8Array(OPAQUE_BYTES);
    c.sigemptyset(noSignals);
    const sigpipe = new Uint8Array(OPAQUE_BYTES);
    c.sigemptyset(sigpipe);
    c.sigaddset(sigpipe, SIGPIPE);
    c.posix_spawnattr_setsigmask(attr, noSignals);
    c.posix_spawnattr_setsigdefault(attr, sigpipe);
    c.posix_spawnattr_setflags(
      attr,
      POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF,
    );
    failed = c.posix_spawn(pid, file, actions, attr, argv.pointers, envp.pointers);
    // The bytes behind argv and envp must live until here (a pointer does not hold them).
    keepAlive(argv.bytes, envp.bytes);
  } finally {
    c.posix_spawn_file_actions_destroy(actions);
    c.posix_spawnattr_destroy(attr);
    c.close(out.write);
    c.close(err.write);
  }
  if (failed !== 0) {
    c.close(out.read);
    c.close(err.read);
    // Found on PATH earlier, and gone (or changed) since: look for it again, once.
    if (searched && !fresh && GONE.has(failed)) return spawn(program, args, options, true);
    const reason = failed === ENOENT && options.cwd !== undefined && isMissingDirectory(options.cwd)
      ? `No such cwd '${options.cwd}'`
      : `${errorText(c, failed)} (os error ${failed})`;
    throw new Error(`Failed to spawn '${path}': ${reason}`);
  }
  return watch(c, pid[0], out.read, err.read);
}

/** The child's pipes and exit, as `Deno.ChildProcess` offers them. */
function watch(c: Libc, pid: number, outFd: number, errFd: number): SpawnedProcess {
  const pidfd = Number(c.syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n));
  let resolveStatus!: (status: Deno.CommandStatus) => void;
  const status = new Promise<Deno.CommandStatus>((resolve) => resolveStatus = resolve);
  const streams = [new PipeStream(c, outFd), new PipeStream(c, errFd)];
  const reap = (): boolean => {
    const raw = new Int32Array(1);
    if (c.waitpid(pid, raw, WNOHANG) !== pid) return false;
    resolveStatus(commandStatus(raw[0]));
    return true;
  };
  (async () => {
    let exited = false;
    // struct pollfd { int fd; short events; short revents; } × 3. Larger than it needs to be:
    // V8 keeps typed arrays of up to 64 bytes inside its heap, where the GC may move them while
    // poll() writes to them from another thread; bigger ones live outside it and stay put.
    const fds = new Int32Array(32);
    const view = new Int16Array(fds.buffer);
    for (;;) {
      const open = streams.filter((stream) => stream.open);
      if (exited && open.length === 0) break;
      let count = 0;
      for (const stream of open) {
        fds[count * 2] = stream.fd;
        view[count * 4 + 2] = POLLIN;
        view[count * 4 + 3] = 0;
        count++;
      }
      const watchesExit = !exited && pidfd >= 0;
      if (watchesExit) {
        fds[count * 2] = pidfd;
        view[count * 4 + 2] = POLLIN;
        view[count * 4 + 3] = 0;
        count++;
      }
      // Without a pidfd (pidfd_open worked at start, so only when out of descriptors), the exit
      // is looked for every 50 ms instead.
      const timeout = !exited && pidfd < 0 ? 50 : POLL_TIMEOUT_MS;
      const ready = await c.poll(fds, BigInt(count), timeout);
      if (ready < 0 && errno(c) !== EINTR) break;
      for (let index = 0; index < open.length; index++) {
        if (view[index * 4 + 3] !== 0) open[index].readOnce();
      }
      if (!exited && (pidfd < 0 || view[open.length * 4 + 3] !== 0)) exited = reap();
    }
    if (pidfd >= 0) c.close(pidfd);
  })().catch((error) => {
    for (const stream of streams) stream.fail(error);
    if (!reap()) resolveStatus({ success: false, code: 1, signal: null });
  });
  return { pid, stdout: streams[0].readable, stderr: streams[1].readable, status };
}

/** One pipe from the child, read when `poll` says so, as a `ReadableStream`. */
class PipeStream {
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;
  readonly #buffer = new Uint8Array(READ_BYTES);

  constructor(readonly c: Libc, readonly fd: number) {
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // Given up by its reader (a background child holds the pipe after the job ended).
      cancel: () => this.#close(),
    });
  }

  get open(): boolean {
    return this.#open;
  }

  /** Reads what is there (poll said the pipe is readable, so this does not block). */
  readOnce(): void {
    if (!this.#open) return;
    const count = Number(this.c.read(this.fd, this.#buffer, BigInt(READ_BYTES)));
    if (count > 0) {
      this.#controller.enqueue(this.#buffer.slice(0, count));
      return;
    }
    if (count < 0 && errno(this.c) === EINTR) return;
    this.#close();
    this.#controller.close();
  }

  fail(error: unknown): void {
    if (!this.#open) return;
    this.#close();
    this.#controller.error(error);
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.c.close(this.fd);
  }
}

function pipe(c: Libc): { read: number; write: number } {
  const fds = new Int32Array(2);
  if (c.pipe2(fds, O_CLOEXEC) !== 0) {
    const code = errno(c);
    throw new Error(
      `Failed to spawn: cannot make a pipe: ${errorText(c, code)} (os error ${code})`,
    );
  }
  return { read: fds[0], write: fds[1] };
}

const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

/** A `waitpid` status as `Deno.CommandStatus` (exited with a code, or killed by a signal). */
export function commandStatus(raw: number): Deno.CommandStatus {
  const signal = raw & 0x7f;
  if (signal === 0) {
    const code = (raw >> 8) & 0xff;
    return { success: code === 0, code, signal: null };
  }
  return { success: false, code: 128 + signal, signal: SIGNAL_NAMES[signal] ?? null };
}

function isMissingDirectory(path: string): boolean {
  try {
    return !Deno.statSync(path).isDirectory;
  } catch {
    return true;
  }
}

function errno(c: Libc): number {
  const pointer = c.__errno_location();
  return pointer === null ? 0 : new Deno.UnsafePointerView(pointer).getInt32();
}

function errorText(c: Libc, code: number): string {
  const pointer = c.strerror(code);
  return pointer === null ? `error ${code}` : Deno.UnsafePointerView.getCString(pointer);
}

/** Holds values until the call (the engine cannot drop what is still referenced). */
function keepAlive(..._values: unknown[]): void {}

function cString(text: string): Uint8Array<ArrayBuffer> {
  const encoded = new TextEncoder().encode(text);
  const bytes = new Uint8Array(encoded.length + 1);
  bytes.set(encoded);
  return bytes;
}

/** A NULL-terminated `char *[]` of `texts`, and the bytes it points into. */
function cStringArray(texts: string[]): { pointers: BigUint64Array; bytes: Uint8Array } {
  // One encode for all of them (each call goes into Deno's Rust; a job's environment is dozens
  // of strings): they hold no NUL (refused before), so joined by NULs they are the C strings end
  // to end, and each one starts after a NUL.
  const joined = new TextEncoder().encode(texts.length > 0 ? `${texts.join("\0")}\0` : "");
  // At least 128 bytes, so that V8 keeps them outside its heap, where they do not move.
  const bytes = new Uint8Array(Math.max(joined.length, 128));
  bytes.set(joined);
  const base = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  const pointers = new BigUint64Array(texts.length + 1);
  let index = 0;
  let start = 0;
  for (let offset = 0; offset < joined.length; offset++) {
    if (joined[offset] !== 0) continue;
    pointers[index++] = base + BigInt(start);
    start = offset + 1;
  }
  return { pointers, bytes };
}
