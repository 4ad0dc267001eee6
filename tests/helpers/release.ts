/**
 * What the release tests share: running a program for its exit code and output, and a file's
 * SHA-256 as a release's .sha256 file holds it.
 *
 * @module
 */

const decoder = new TextDecoder();

/** Runs `program` to its end; its exit code and decoded output. */
export async function run(program: string, args: string[], options: Deno.CommandOptions = {}) {
  const output = await new Deno.Command(program, { args, ...options }).output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The SHA-256 of `file`, in lower-case hex. */
export async function sha256Hex(file: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(file)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
