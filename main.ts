/**
 * queuectl: a background job queue for shell commands. This is the program's entry point and the
 * only place that exits the process.
 *
 * @module
 */
import { runCli } from "./src/cli/mod.ts";

const encoder = new TextEncoder();

function writeAll(output: { writeSync(data: Uint8Array): number }, text: string): void {
  const data = encoder.encode(text);
  let written = 0;
  while (written < data.length) written += output.writeSync(data.subarray(written));
}

if (import.meta.main) {
  const code = await runCli(Deno.args, {
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    isTerminal: Deno.stdout.isTerminal(),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    env: (name) => Deno.env.get(name),
    cwd: Deno.cwd(),
    readStdin: () => new Response(Deno.stdin.readable).text(),
  });
  Deno.exit(code);
}
