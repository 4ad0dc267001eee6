/**
 * The demo (`deno task demo`): a tour of queuectl on a throw-away SQLite database. It runs the
 * real CLI, as a user would type it, and prints each command before its output.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const dir = await Deno.makeTempDir({ prefix: "queuectl-demo-" });
const env = { QUEUECTL_DB: join(dir, "queue.db") };

async function queuectl(...args: string[]): Promise<string> {
  console.log(
    `\n$ queuectl ${args.map((arg) => /[\s'"${}*;&|]/.test(arg) ? `'${arg}'` : arg).join(" ")}`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  await Deno.stdout.write(output.stdout);
  if (!output.success) throw new Error(`queuectl ${args[0]} exited ${output.code}`);
  return text;
}

console.log(`queuectl demo, database: ${env.QUEUECTL_DB}`);
await queuectl("config", "set", "backoff_base", "1");
await queuectl("enqueue", '{"id":"hello","command":"echo hello from queuectl"}');
await queuectl("enqueue", '{"id":"slow","command":"sleep 1; echo slept"}');
await queuectl("enqueue", '{"id":"flaky","command":"exit 3","max_retries":2}');
await queuectl("enqueue", "--", "sh", "-c", "echo args reach the program: $0 $1", "one", "two");
await queuectl("enqueue", "nonexistent_cmd_xyz");
await queuectl(
  "enqueue",
  "--id",
  "report",
  "--after",
  "hello,slow",
  "--",
  "echo both parents are done",
);
await queuectl("list");
await queuectl("worker", "start", "--count", "3", "--detach");

const deadline = Date.now() + 60_000;
for (;;) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "status", "--json"],
    env,
  }).output();
  const { jobs } = JSON.parse(new TextDecoder().decode(output.stdout));
  if (jobs.pending + jobs.processing + jobs.failed === 0) break;
  if (Date.now() > deadline) throw new Error("The demo's jobs did not finish within 60 s");
  await new Promise((resolve) => setTimeout(resolve, 250));
}

await queuectl("status");
await queuectl("info", "report");
await queuectl("dlq", "list");
await queuectl("info", "flaky");
await queuectl("worker", "stop");
await Deno.remove(dir, { recursive: true });
console.log("\nDone: the demo's database was removed.");
