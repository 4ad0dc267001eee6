/**
 * A mistyped command or option gets the nearest real one suggested, as git and gh do; the exit
 * code stays the usage error's (2), and a word that is no typo gets the usual pointer to --help.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeSandbox } from "../helpers/cli.ts";
import { assertExit } from "../helpers/jobs.ts";

Deno.test("an unknown command or option suggests the nearest one, with exit 2 and nothing stored", async () => {
  await using sandbox = await makeSandbox();
  const cases: [string[], string][] = [
    [["enqueu", "--", "true"], 'Unknown command "enqueu". Did you mean "enqueue"?'],
    [["worker", "strat"], 'Unknown command "worker strat". Did you mean "worker start"?'],
    [["lsit"], 'Unknown command "lsit". Did you mean "list"?'],
    [["frobnicate"], 'Unknown command "frobnicate": see "queuectl --help"'],
    [
      ["enqueue", "--max-retry", "3", "--", "true"],
      'Unknown option "--max-retry" for "queuectl enqueue". Did you mean "--max-retries"?',
    ],
    [["--verison"], 'Unknown option "--verison". Did you mean "--version"?'],
    [
      ["status", "--zzzzzz"],
      'Unknown option "--zzzzzz" for "queuectl status": see "queuectl status --help"',
    ],
  ];
  for (const [args, message] of cases) {
    const result = await sandbox.run(args);
    assertExit(result, 2, args.join(" "));
    assert.equal(result.stderr, `queuectl: ${message}\n`);
    assert.equal(result.stdout, "");
  }
  assert.deepEqual((await sandbox.status()).jobs.pending, 0);
});
