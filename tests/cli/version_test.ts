/**
 * `queuectl --version` through the real CLI: queuectl's version on the first line, then Deno's
 * and the database's schema version; a missing database is named, not created, and a server
 * that does not answer is noted without failing (or showing its password).
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox, onEveryStore, runCli, snapshotDatabase } from "../helpers/cli.ts";
import { assertExit } from "../helpers/jobs.ts";
import { VERSION } from "../../src/version.ts";

onEveryStore.test("--version with no database yet says so, and creates none", async () => {
  await using sandbox = await makeSandbox();
  const result = await sandbox.run(["--version"]);
  assertExit(result, 0, "--version");
  const [first, deno, schema] = result.stdout.split("\n");
  assert.equal(first, `queuectl ${VERSION}`);
  assert.equal(deno, `deno ${Deno.version.deno}`);
  assert.match(schema, /^schema: no database yet at .*; this queuectl creates version \d+$/);
  assert.equal(await snapshotDatabase(sandbox), null, "--version must not create the database");
});

onEveryStore.test("--version prints the schema version of the database, also as JSON", async () => {
  await using sandbox = await makeSandbox();
  const migrated = JSON.parse(await sandbox.ok(["migrate", "--json"]));
  const text = await sandbox.ok(["-V"]);
  assert.equal(text.split("\n")[2], `schema ${migrated.schema_version} (${migrated.location})`);
  const report = JSON.parse(await sandbox.ok(["--version", "--json"]));
  assert.deepEqual(report, {
    queuectl: VERSION,
    deno: Deno.version.deno,
    database: {
      location: migrated.location,
      state: "ready",
      schema_version: migrated.schema_version,
      expected_schema_version: migrated.schema_version,
    },
  });
  // --db works as anywhere else: before or after --version.
  const elsewhere = await sandbox.run(["--version", "--db", `${sandbox.dir}/other.db`]);
  assertExit(elsewhere, 0, "--version --db");
  assert.match(elsewhere.stdout, /no database yet at .*other\.db/);
});

Deno.test("--version with an unreachable PostgreSQL notes it, exits 0 and masks the password", async () => {
  const result = await runCli(["--version"], {
    QUEUECTL_DB: "postgres://queue:s3cret@127.0.0.1:1/jobs",
  });
  assertExit(result, 0, "--version");
  assert.match(result.stdout, /^queuectl \d+\.\d+\.\d+\n/);
  assert.match(result.stdout, /\nschema: unknown \(Cannot reach PostgreSQL at .*queue:\*\*\*@/);
  assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
});

Deno.test("--version after a command is that command's unknown option", async () => {
  const result = await runCli(["status", "--version"], {});
  assertExit(result, 2, "status --version");
  assert.match(result.stderr, /^queuectl: Unknown option "--version" for "queuectl status".*\n$/);
});
