import assert from "node:assert/strict";
import { testJob } from "../_test_job.ts";
import type { Job } from "../job.ts";
import type { Store } from "../store/mod.ts";
import { postWebhook } from "./webhook.ts";

/** A store that knows `jobs` (no runs, no dependencies): all `postWebhook` reads. */
function storeOf(jobs: Job[]): Store {
  return {
    jobGet: ({ id }: { id: string }) => Promise.resolve(jobs.find((job) => job.id === id)),
    jobRuns: () => Promise.resolve([]),
    jobDependencies: () => Promise.resolve({ parents: [], children: [] }),
  } as unknown as Store;
}

function hookFor(id: string, url: string): Job {
  return testJob({
    id: "hook-1",
    command: url,
    hookFor: id,
    env: {
      QUEUECTL_JOB_ID: id,
      QUEUECTL_JOB_STATE: "dead",
      QUEUECTL_JOB_EXIT_CODE: "3",
      QUEUECTL_JOB_QUEUE: "etl",
      QUEUECTL_JOB_COMMAND: "exit 3",
      QUEUECTL_JOB_ERROR: "Exited with code 3",
    },
  });
}

/** Serves `handler` on a free port for the length of `body`. */
async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  try {
    await body(`http://127.0.0.1:${server.addr.port}/hook`);
  } finally {
    await server.shutdown();
  }
}

const options = { timeoutMs: 5_000, outputLimit: 1024, signal: new AbortController().signal };

Deno.test("postWebhook() sends a job deleted meanwhile as what its hook job knows", async () => {
  let received: unknown;
  await withServer(async (request) => {
    received = await request.json();
    return new Response("ok");
  }, async (url) => {
    const result = await postWebhook({
      ...options,
      hook: hookFor("gone", url),
      store: storeOf([]),
    });
    assert.equal(result.exitCode, 0);
  });
  assert.deepEqual(received, {
    id: "gone",
    state: "dead",
    exit_code: 3,
    queue: "etl",
    command: "exit 3",
    last_error: "Exited with code 3",
  });
});

Deno.test("postWebhook() follows no redirect: a 3xx answer fails the run", async () => {
  await withServer(
    () => new Response(null, { status: 302, headers: { location: "/elsewhere" } }),
    async (url) => {
      const job = testJob({ id: "a", state: "dead" });
      const result = await postWebhook({
        ...options,
        hook: hookFor("a", url),
        store: storeOf([job]),
      });
      assert.equal(result.exitCode, null);
      assert.match(
        result.failure ?? "",
        /^Webhook POST to http:\/\/127\.0\.0\.1:\d+\/hook answered 302/,
      );
    },
  );
});

Deno.test("postWebhook() stops at its time limit and says so", async () => {
  const never = Promise.withResolvers<void>();
  await withServer(async () => {
    await never.promise;
    return new Response("late");
  }, async (url) => {
    const result = await postWebhook({
      ...options,
      timeoutMs: 100,
      hook: hookFor("a", url),
      store: storeOf([]),
    });
    never.resolve();
    assert.equal(result.stopReason, "timeout");
    assert.match(result.failure ?? "", /got no answer within 0\.1 s/);
  });
});

Deno.test("postWebhook() reports a refused connection as a failure, and a stop by its reason", async () => {
  // A port nothing listens on: the one a server had a moment ago.
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const url = `http://127.0.0.1:${server.addr.port}/hook`;
  await server.shutdown();
  const refused = await postWebhook({ ...options, hook: hookFor("a", url), store: storeOf([]) });
  assert.equal(refused.exitCode, null);
  assert.match(refused.failure ?? "", /^Webhook POST to .* failed: /);

  const stop = new AbortController();
  stop.abort("canceled");
  const stopped = await postWebhook({
    ...options,
    signal: stop.signal,
    hook: hookFor("a", url),
    store: storeOf([]),
  });
  assert.equal(stopped.stopReason, "canceled");
});
