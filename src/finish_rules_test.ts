import assert from "node:assert/strict";
import {
  CANCELED_WHILE_RUNNING,
  canceledRun,
  decideFinish,
  finishAlternatives,
  type FinishWrite,
  interruptedRun,
  type ProposedFinish,
  releasedRun,
} from "./finish_rules.ts";

const NOW = 1_000_000;

const completed: ProposedFinish = {
  state: "completed",
  error: null,
  outcome: "completed",
  now: NOW,
};
const failed: ProposedFinish = {
  state: "failed",
  error: "Exited with code 1",
  outcome: "failed",
  now: NOW,
};
const timedOut: ProposedFinish = {
  state: "failed",
  error: "Timed out after 5 s; its process group was killed",
  outcome: "timeout",
  now: NOW,
};
const dead: ProposedFinish = {
  state: "dead",
  error: "Exited with code 2",
  outcome: "failed",
  now: NOW,
};
const rescued: ProposedFinish = {
  state: "failed",
  error: "Rescued from a lost worker: its lease expired",
  outcome: "rescued",
  now: NOW,
};
const releasedPending: ProposedFinish = {
  state: "pending",
  error: "Stopped by a worker shutdown before it finished; it will run again",
  outcome: "released",
  refundAttempt: true,
  now: NOW,
};
const releasedFailed: ProposedFinish = { ...releasedPending, state: "failed" };
const canceled: ProposedFinish = { ...canceledRun(), now: NOW };

/** What a cancel request turns every run that did not complete into. */
const CANCELED: FinishWrite = {
  state: "canceled",
  lastError: CANCELED_WHILE_RUNNING,
  outcome: "canceled",
  refundAttempt: false,
  keepCancelRequest: true,
  finishedAt: NOW,
};

const cases: [intent: string, cancelRequested: boolean, proposed: ProposedFinish, FinishWrite][] = [
  [
    "a completed run is written as proposed",
    false,
    completed,
    {
      state: "completed",
      lastError: null,
      outcome: "completed",
      refundAttempt: false,
      keepCancelRequest: false,
      finishedAt: NOW,
    },
  ],
  [
    "a completed run wins over a cancel request that came too late, which is cleared",
    true,
    completed,
    {
      state: "completed",
      lastError: null,
      outcome: "completed",
      refundAttempt: false,
      keepCancelRequest: false,
      finishedAt: NOW,
    },
  ],
  [
    "a failed run keeps its error and counts as an attempt",
    false,
    failed,
    {
      state: "failed",
      lastError: "Exited with code 1",
      outcome: "failed",
      refundAttempt: false,
      keepCancelRequest: false,
      finishedAt: NOW,
    },
  ],
  ["a cancel request wins over a failure", true, failed, CANCELED],
  ["a cancel request wins over a timeout", true, timedOut, CANCELED],
  [
    "a dead run goes to the DLQ with its error",
    false,
    dead,
    {
      state: "dead",
      lastError: "Exited with code 2",
      outcome: "failed",
      refundAttempt: false,
      keepCancelRequest: false,
      finishedAt: NOW,
    },
  ],
  ["a cancel request wins over dead: the job ends canceled, not in the DLQ", true, dead, CANCELED],
  ["a cancel request wins over a rescue: the lost run is not retried", true, rescued, CANCELED],
  [
    "a run released to pending gives its attempt back and has no finish time",
    false,
    releasedPending,
    {
      state: "pending",
      lastError: releasedPending.error,
      outcome: "released",
      refundAttempt: true,
      keepCancelRequest: false,
      finishedAt: null,
    },
  ],
  [
    "a run released to failed (a retried job) gives its attempt back and keeps a finish time",
    false,
    releasedFailed,
    {
      state: "failed",
      lastError: releasedFailed.error,
      outcome: "released",
      refundAttempt: true,
      keepCancelRequest: false,
      finishedAt: NOW,
    },
  ],
  [
    "a cancel request wins over a release, and the canceled run is not refunded",
    true,
    releasedPending,
    CANCELED,
  ],
  ["the worker's own canceled finish, after the request, ends canceled", true, canceled, CANCELED],
  [
    "a canceled finish without a request (none to keep) is written as proposed",
    false,
    canceled,
    { ...CANCELED, keepCancelRequest: false },
  ],
];

for (const [intent, cancelRequested, proposed, expected] of cases) {
  Deno.test(`decideFinish(): ${intent}`, () => {
    assert.deepEqual(decideFinish({ cancelRequested }, proposed), expected);
  });
}

Deno.test("decideFinish() refuses to move a job to processing", () => {
  const proposed = { ...completed, state: "processing" } as unknown as ProposedFinish;
  assert.throws(() => decideFinish({ cancelRequested: false }, proposed), /processing/);
});

Deno.test("finishAlternatives() are decideFinish() without and with a cancel request", () => {
  for (const [intent, , proposed] of cases) {
    assert.deepEqual(
      finishAlternatives(proposed),
      {
        asProposed: decideFinish({ cancelRequested: false }, proposed),
        ifCancelRequested: decideFinish({ cancelRequested: true }, proposed),
      },
      intent,
    );
  }
});

Deno.test("releasedRun() sends a first attempt back to pending and a retried one to failed, refunded", () => {
  assert.deepEqual(releasedRun({ attempts: 1 }, NOW), {
    state: "pending",
    runAt: NOW,
    outcome: "released",
    refundAttempt: true,
  });
  assert.deepEqual(releasedRun({ attempts: 3 }, NOW), {
    state: "failed",
    runAt: NOW,
    outcome: "released",
    refundAttempt: true,
  });
});

Deno.test("interruptedRun() gives the attempt back like a release, recorded as interrupted, not failed", () => {
  assert.deepEqual(interruptedRun({ attempts: 1 }, NOW), {
    state: "pending",
    runAt: NOW,
    outcome: "interrupted",
    refundAttempt: true,
    error: "Stopped by a worker shutdown before it finished; it will run again",
  });
  const retried = interruptedRun({ attempts: 3 }, NOW);
  assert.deepEqual([retried.state, retried.runAt, retried.outcome], ["failed", NOW, "interrupted"]);
  // A cancel request still wins over it.
  const proposed = { ...interruptedRun({ attempts: 1 }, NOW), now: NOW };
  assert.equal(decideFinish({ cancelRequested: true }, proposed).outcome, "canceled");
});
