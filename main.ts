/**
 * queuectl: a background job queue for shell commands. This is the program's entry point and the
 * only place that exits the process.
 *
 * @module
 */
import { runCli } from "./src/cli/mod.ts";

const encoder = new TextEncoder();

/** A pipe's reader went away (`queuectl list | head -1`). */
const STDOUT_CLOSED = 128 + 13; // What a shell reports for a process ended by SIGPIPE.

function writeAll(output: { writeSync(data: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let written = 0;
  while (written < data.length) written += output.writeSync(data.subarray(written));
}

/**
 * Writes to stdout; when its reader has gone, ends the process as SIGPIPE ends other programs
 * (Deno ignores the signal, so the write fails instead): quietly, since nobody reads any more.
 */
function writeStdout(text: string): void {
  try {
    writeAll(Deno.stdout, text);
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) Deno.exit(STDOUT_CLOSED);
    throw error;
  }
}

/** Writes to stderr; a message nobody can read any more is dropped, never fatal (workers log). */
function writeStderr(text: string): void {
  try {
    writeAll(Deno.stderr, text);
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

if (import.meta.main) {
  const code = await runCli(Deno.args, {
    stdout: writeStdout,
    stderr: writeStderr,
    isTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    readStdin: () => new Response(Deno.stdin.readable).bytes(),
  });
  Deno.exit(code);
}
