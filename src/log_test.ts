import assert from "node:assert/strict";
import { join } from "node:path";
import { setupLogging } from "./log.ts";

Deno.test("setupLogging() masks URLs and the database's password in every line it writes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "worker.log");
    const location = "postgres://app:hunter2/x@db/jobs";
    const logger = (await setupLogging({ level: "info", file, location }))("test");
    logger.error(`Lost ${location}: the server quoted "hunter2/x"`);
    logger.info("Also at postgres://other:s3cret@db2/jobs?sslpassword=k3y");
    const log = await Deno.readTextFile(file);
    assert.match(log, /Lost postgres:\/\/app:\*\*\*@db\/jobs: the server quoted "\*\*\*"/);
    assert.match(log, /Also at postgres:\/\/other:\*\*\*@db2\/jobs\?sslpassword=\*\*\*/);
    assert.doesNotMatch(log, /hunter2|s3cret|k3y/);
  } finally {
    const { reset } = await import("@logtape/logtape");
    await reset();
    await Deno.remove(dir, { recursive: true });
  }
});
