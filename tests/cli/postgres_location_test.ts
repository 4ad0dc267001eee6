/**
 * The PostgreSQL location through the real CLI: the schema is created on first use by any
 * number of processes at once (each migration exactly once), `migrate` reports it, a schema of
 * another program is refused untouched, and a password in the URL never shows: not in output,
 * errors, worker logs nor a job's environment.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readOrEmpty, runCli, waitFor } from "../helpers/cli.ts";
import { assertExit } from "../helpers/jobs.ts";
import { postgresForTests, type TestPostgres } from "../helpers/postgres.ts";
import { MIGRATIONS } from "../../src/store/postgres/migrations.ts";

const postgres = await postgresForTests();
const ignore = postgres === undefined;

/** Runs `body` with a fresh schema name and a temp dir, dropping both afterwards. */
async function withSchema(
  body: (pg: TestPostgres, schema: string, dir: string) => Promise<void>,
): Promise<void> {
  const pg = postgres!;
  const schema = await pg.createSchemaName();
  const dir = await Deno.makeTempDir({ prefix: "queuectl-pg-" });
  try {
    await body(pg, schema, dir);
  } finally {
    await pg.dropSchema(schema);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "processes that first use a new schema at once all succeed, and each migration runs once",
  ignore,
  fn: () =>
    withSchema(async (pg, schema) => {
      const env = { QUEUECTL_DB: pg.urlFor(schema) };
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          runCli(["enqueue", "--id", `job-${i}`, "--", "true"], env)),
      );
      results.forEach((result, i) =>
        assertExit(result, 0, `enqueue ${i}`)
      );
      const migrations = await pg.query(`SELECT version FROM "${schema}".schema_migrations`);
      assert.deepEqual(
        migrations.map((row) => Number(row.version)).sort((a, b) => a - b),
        MIGRATIONS.map((_, index) => index + 1),
      );
      const jobs = await pg.query(`SELECT id FROM "${schema}".jobs ORDER BY id`);
      assert.deepEqual(jobs.map((row) => row.id), [0, 1, 2, 3, 4, 5].map((i) => `job-${i}`));

      const migrate = await runCli(["migrate", "--json"], env);
      assertExit(migrate, 0, "migrate");
      assert.deepEqual(JSON.parse(migrate.stdout), {
        location: pg.urlFor(schema),
        schema_version: MIGRATIONS.length,
      });
    }),
});

Deno.test({
  name: "a schema holding another program's tables is refused with exit 4 and left as it was",
  ignore,
  fn: () =>
    withSchema(async (pg, schema) => {
      await pg.query(`CREATE SCHEMA "${schema}"`);
      await pg.query(`CREATE TABLE "${schema}".jobs (id int)`);
      const result = await runCli(["status"], { QUEUECTL_DB: pg.urlFor(schema) });
      assertExit(result, 4, "status on a foreign schema");
      assert.match(result.stderr, /^queuectl: .*holds tables of another program.*\n$/);
      const tables = await pg.query(
        `SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`,
        [schema],
      );
      assert.deepEqual(tables.map((row) => row.tablename), ["jobs"]);
    }),
});

Deno.test({
  name: "a bad schema name is a usage error, and an unreachable server exits 4, both in one line",
  ignore,
  fn: async () => {
    const badSchema = await runCli(["status"], {
      QUEUECTL_DB: "postgres://root@127.0.0.1:5432/test?schema=Not-A-Schema",
    });
    assertExit(badSchema, 2, "status with a bad schema");
    assert.match(badSchema.stderr, /^queuectl: Invalid schema "Not-A-Schema".*\n$/);

    const unreachable = await runCli(["enqueue", "--", "true"], {
      QUEUECTL_DB: "postgres://queue:hunter2-secret@127.0.0.1:1/jobs",
    });
    assertExit(unreachable, 4, "enqueue with no server");
    assert.match(
      unreachable.stderr,
      /^queuectl: Cannot reach PostgreSQL at postgres:\/\/queue:\*\*\*@127\.0\.0\.1:1\/jobs: .*\n$/,
    );
    assert.doesNotMatch(unreachable.stderr + unreachable.stdout, /hunter2/);
  },
});

Deno.test({
  name: "a password in the URL never shows in output, worker logs or a job's environment",
  ignore,
  fn: () =>
    withSchema(async (pg, schema, dir) => {
      // The test server trusts local connections, so it accepts any password.
      const url = new URL(pg.urlFor(schema));
      url.password = "hunter2-secret";
      const env = { QUEUECTL_DB: url.href };
      const envFile = join(dir, "job-env.txt");
      const enqueue = await runCli(["enqueue", "--id", "env", "--", `env > '${envFile}'`], env);
      assertExit(enqueue, 0, "enqueue");
      const worker = await runCli(
        ["worker", "start", "--detach", "--log-file", join(dir, "w.log")],
        env,
      );
      assertExit(worker, 0, "worker start --detach");
      try {
        await waitFor("the job to complete", async () => {
          const info = await runCli(["info", "env", "--json"], env);
          return JSON.parse(info.stdout).state === "completed";
        });
      } finally {
        assertExit(await runCli(["worker", "stop"], env), 0, "worker stop");
      }
      const status = await runCli(["status"], env);
      assertExit(status, 0, "status");
      assert.match(status.stdout, /Database: postgres:\/\/root:\*\*\*@127\.0\.0\.1/);
      const everything = [
        status.stdout,
        status.stderr,
        enqueue.stderr,
        worker.stdout,
        worker.stderr,
        await readOrEmpty(join(dir, "w.log")),
        await readOrEmpty(envFile),
      ];
      assert.ok(
        (await readOrEmpty(envFile)).includes("JOB_ID=env"),
        "the job ran and wrote its env",
      );
      assert.ok((await readOrEmpty(join(dir, "w.log"))).includes("***"), "the log names the db");
      for (const text of everything) assert.doesNotMatch(text, /hunter2/);
      // The background worker got the URL through its environment, not its command line.
      assert.doesNotMatch(worker.stderr, /--db/);
    }),
});

/**
 * Secrets a URL may hold: a password with a raw `/`, `?`, `#` or `@` (not percent-encoded, so the
 * URL's structure is ambiguous), and any parameter whose name ends in "password" (libpq's
 * `password` and `sslpassword`), in any case. Each holds "hunter2"; port 1 is closed.
 */
const SECRET_URLS: [string, string][] = [
  ["a raw / in the password", "postgres://queue:hunter2/x@127.0.0.1:1/jobs"],
  ["a raw ? in the password", "postgres://queue:hunter2?x@127.0.0.1:1/jobs"],
  ["a raw # in the password", "postgres://queue:hunter2#x@127.0.0.1:1/jobs"],
  ["a raw @ in the password", "postgres://queue:hunter2@x@127.0.0.1:1/jobs"],
  ["a password parameter", "postgres://queue@127.0.0.1:1/jobs?password=hunter2"],
  [
    "a parameter in another case",
    "postgres://queue@127.0.0.1:1/jobs?sslmode=disable&PassWord=hunter2",
  ],
  ["sslpassword", "postgres://queue@127.0.0.1:1/jobs?sslpassword=hunter2"],
];

Deno.test({
  name: "a password with a raw / ? # or @, or in a password parameter, shows in no output or error",
  ignore,
  fn: async () => {
    const leaks: string[] = [];
    for (const [intent, url] of SECRET_URLS) {
      for (const args of [["status"], ["doctor"], ["enqueue", "--", "true"]]) {
        const result = await runCli(args, { QUEUECTL_DB: url });
        const what = `${args[0]} with ${intent}`;
        assert.notEqual(result.code, 0, `${what} cannot reach a server`);
        // It still names the server, as the masked URL.
        const output = result.stdout + result.stderr;
        if (/hunter2/.test(output) || !output.includes("***")) leaks.push(`${what}:\n${output}`);
      }
    }
    assert.deepEqual(leaks, []);
  },
});

Deno.test({
  name: "status and doctor on a server reached with a password parameter print it masked",
  ignore,
  fn: () =>
    withSchema(async (pg, schema) => {
      // The test server trusts local connections, so it accepts any password.
      const url = new URL(pg.urlFor(schema));
      url.searchParams.set("password", "hunter2/?#");
      const env = { QUEUECTL_DB: url.href };
      const status = await runCli(["status"], env);
      assertExit(status, 0, "status");
      assert.match(status.stdout, /Database: postgres:\/\/root@127\.0\.0\.1.*password=\*\*\*/);
      const doctor = await runCli(["doctor", "--json"], env);
      assert.match(JSON.parse(doctor.stdout).location, /password=\*\*\*/);
      for (const text of [status.stdout, status.stderr, doctor.stdout, doctor.stderr]) {
        assert.doesNotMatch(text, /hunter2/);
      }
    }),
});

/** Whether the test server lets this test make roles (a CI server may not). */
const canCreateRoles = postgres !== undefined &&
  (await postgres.query(
      "SELECT rolsuper OR rolcreaterole AS ok FROM pg_roles WHERE rolname = current_user",
    ))[0]?.ok === true;

Deno.test({
  name: "a role given only a schema made for it uses it, and another role cannot enqueue there",
  ignore: !canCreateRoles,
  fn: () =>
    withSchema(async (pg, schema) => {
      // The README's "one role per team" set-up: no CREATE on the database (PUBLIC has none by
      // default), one schema each, owned by the team's role.
      const [team, other] = [`${schema}_team`, `${schema}_other`];
      await pg.query(`CREATE ROLE "${team}" LOGIN`);
      await pg.query(`CREATE ROLE "${other}" LOGIN`);
      try {
        await pg.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${team}"`);
        const as = (role: string) => {
          const url = new URL(pg.urlFor(schema));
          url.username = role;
          return { QUEUECTL_DB: url.href };
        };
        assertExit(await runCli(["migrate"], as(team)), 0, "migrate as the team's role");
        assertExit(await runCli(["enqueue", "--", "true"], as(team)), 0, "enqueue as the team");
        const denied = await runCli(["enqueue", "--", "true"], as(other));
        assert.notEqual(denied.code, 0, "another role cannot enqueue");
        const jobs = await pg.query(`SELECT count(*)::int AS n FROM "${schema}".jobs`);
        assert.equal(jobs[0].n, 1);
      } finally {
        await pg.dropSchema(schema);
        await pg.query(`DROP ROLE "${team}"`);
        await pg.query(`DROP ROLE "${other}"`);
      }
    }),
});
