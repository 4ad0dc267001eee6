/**
 * Store contract: live output of running jobs (`jobOutputAppend`, `jobOutputRead`), and its end
 * at `jobFinish`.
 *
 * Assertions read a stream back whole (`streamOf`), so a store may split or merge stored chunks
 * as it likes, as long as each stream's bytes and offsets are right.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { OutputChunk, OutputStream } from "../../../src/store/mod.ts";
import {
  bytes,
  chunk,
  claim,
  type ContractTest,
  finishOf,
  newJob,
  output,
  rescueOf,
  streamOf,
  T0,
} from "./harness.ts";

const ALL = { stdout: 0, stderr: 0 };
const KEEP = 1 << 20;

/** Registers the tests of this part of the contract. */
export function outputContract(test: ContractTest): void {
  test("jobOutputAppend() stores a running job's output, which jobOutputRead() returns per stream from the offsets asked", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    const b = await claim(store, "w1", T0);
    assert.equal(
      await store.jobOutputAppend({
        id: "a",
        leaseToken: a.leaseToken,
        chunks: [chunk("stdout", 0, "hello "), chunk("stderr", 0, "warn\n")],
        keepBytes: KEEP,
      }),
      true,
    );
    assert.equal(
      await store.jobOutputAppend({
        id: "a",
        leaseToken: a.leaseToken,
        chunks: [chunk("stdout", 6, "wörld\n")],
        keepBytes: KEEP,
      }),
      true,
    );
    const read = (from: Record<OutputStream, number>, run = a.leaseToken, id = "a") =>
      store.jobOutputRead({ id, run, from });

    const all = await read(ALL);
    assert.deepEqual(streamOf(all, "stdout"), { start: 0, text: "hello wörld\n" });
    assert.deepEqual(streamOf(all, "stderr"), { start: 0, text: "warn\n" });

    const fromSix = await read({ stdout: 6, stderr: 5 });
    assertFrom(fromSix, { stdout: 6, stderr: 5 });
    assert.deepEqual(streamOf(fromSix, "stdout", 6), { start: 6, text: "wörld\n" });
    assert.equal(streamOf(fromSix, "stderr"), undefined, "nothing new on stderr");

    // From the middle of a chunk: the stream from that byte on.
    const fromNine = await read({ stdout: 9, stderr: 2 });
    assertFrom(fromNine, { stdout: 9, stderr: 2 });
    assert.deepEqual(streamOf(fromNine, "stdout", 9), { start: 9, text: "rld\n" });
    assert.deepEqual(streamOf(fromNine, "stderr", 2), { start: 2, text: "rn\n" });

    assert.deepEqual(await read({ stdout: 13, stderr: 5 }), [], "nothing past the end");

    // Bytes, not text.
    const raw = new Uint8Array([0xff, 0x00, 0xc3]);
    assert.equal(
      await store.jobOutputAppend({
        id: "a",
        leaseToken: a.leaseToken,
        chunks: [{ stream: "stdout", offset: 13, data: raw }],
        keepBytes: KEEP,
      }),
      true,
    );
    const tail = (await read({ stdout: 13, stderr: 5 })).filter((c) => c.stream === "stdout");
    const joined = new Uint8Array(tail.flatMap((c) => [...c.data.subarray(13 - c.offset)]));
    assert.deepEqual(joined, raw);

    // Other runs and other jobs have none of it.
    assert.deepEqual(await read(ALL, a.leaseToken + 1), []);
    assert.deepEqual(await read(ALL, b.leaseToken, "b"), []);
    assert.deepEqual(await read(ALL, 1, "ghost"), []);
  });

  test("jobOutputAppend() keeps only the last keepBytes of each stream, dropping chunks wholly before them", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a")], now: T0 });
    const a = await claim(store, "w1", T0);
    const append = (chunks: OutputChunk[]) =>
      store.jobOutputAppend({ id: "a", leaseToken: a.leaseToken, chunks, keepBytes: 10 });
    const read = () => store.jobOutputRead({ id: "a", run: a.leaseToken, from: ALL });

    assert.equal(
      await append([
        chunk("stdout", 0, "aaaa"),
        chunk("stdout", 4, "bbbb"),
        chunk("stderr", 0, "e1"),
        chunk("stdout", 8, "cccc"),
      ]),
      true,
    );
    // 12 bytes, keep the last 10 (from byte 2): the first chunk reaches into them.
    let chunks = await read();
    assert.deepEqual(streamOf(chunks, "stdout"), { start: 0, text: "aaaabbbbcccc" });
    assert.deepEqual(streamOf(chunks, "stderr"), { start: 0, text: "e1" });

    assert.equal(await append([chunk("stdout", 12, "dddd")]), true);
    // 16 bytes, keep from byte 6: "aaaa" (0..4) goes, "bbbb" (4..8) reaches into them.
    chunks = await read();
    assert.deepEqual(streamOf(chunks, "stdout"), { start: 4, text: "bbbbccccdddd" });
    assert.deepEqual(streamOf(chunks, "stderr"), { start: 0, text: "e1" }, "stderr is its own");

    assert.equal(await append([chunk("stderr", 2, "0123456789ABCDEF")]), true);
    // stderr: 18 bytes, keep from byte 8: "e1" goes, the long chunk (2..18) stays whole.
    chunks = await read();
    assert.deepEqual(streamOf(chunks, "stderr"), { start: 2, text: "0123456789ABCDEF" });
    assert.deepEqual(streamOf(chunks, "stdout"), { start: 4, text: "bbbbccccdddd" });

    assert.equal(
      await append([chunk("stdout", 16, "eeeeeeeeee"), chunk("stdout", 26, "ff")]),
      true,
    );
    // stdout: 28 bytes, keep from byte 18: everything before the "eeeeeeeeee" chunk goes.
    chunks = await read();
    assert.deepEqual(streamOf(chunks, "stdout"), { start: 16, text: "eeeeeeeeeeff" });
    assert.ok(chunks.every((c) => c.offset + c.data.length > (c.stream === "stdout" ? 18 : 8)));
  });

  test("jobOutputAppend() is fenced by the lease token: false and no change without the lease", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a", { maxRetries: 3 }), newJob("b")], now: T0 });
    const a = await claim(store, "w1", T0);
    const append = (id: string, leaseToken: number, text: string) =>
      store.jobOutputAppend({
        id,
        leaseToken,
        chunks: [chunk("stdout", 0, text)],
        keepBytes: KEEP,
      });
    const read = (id: string, run: number) => store.jobOutputRead({ id, run, from: ALL });

    assert.equal(await append("a", a.leaseToken, "one"), true);
    assert.equal(await append("a", a.leaseToken + 1, "XXXX"), false);
    assert.equal(await append("a", 0, "YYYY"), false);
    assert.deepEqual(streamOf(await read("a", a.leaseToken), "stdout"), { start: 0, text: "one" });
    assert.deepEqual(await read("a", a.leaseToken + 1), []);
    assert.equal(await append("ghost", 1, "x"), false);
    assert.equal(await append("b", 0, "x"), false, "a pending job has no lease");
    assert.deepEqual(await read("b", 0), []);

    // Rescued: the old token no longer appends, and the run's output is gone.
    assert.equal(await store.jobFinish(rescueOf(a, T0 + 1, T0)), true);
    assert.equal(await append("a", a.leaseToken, "late"), false);
    assert.deepEqual(await read("a", a.leaseToken), []);
    // The next run appends under its own token, and reads as its own run.
    const again = await claim(store, "w2", T0 + 1);
    assert.equal(again.id, "a");
    assert.equal(await append("a", a.leaseToken, "stale"), false);
    assert.equal(await append("a", again.leaseToken, "two"), true);
    assert.deepEqual(streamOf(await read("a", again.leaseToken), "stdout"), {
      start: 0,
      text: "two",
    });
    assert.deepEqual(await read("a", a.leaseToken), []);
  });

  test("jobFinish() drops the run's live output and keeps the finish's tail in the run history", async ({ store }) => {
    await store.jobInsert({ jobs: [newJob("a"), newJob("b"), newJob("c")], now: T0 });
    const jobs = [await claim(store, "w1", T0), await claim(store, "w1", T0)];
    const c = await claim(store, "w1", T0);
    for (const job of [...jobs, c]) {
      assert.equal(
        await store.jobOutputAppend({
          id: job.id,
          leaseToken: job.leaseToken,
          chunks: [chunk("stdout", 0, `live ${job.id}\n`), chunk("stderr", 0, "oops\n")],
          keepBytes: KEEP,
        }),
        true,
      );
    }
    const [a, b] = jobs;
    assert.equal(
      await store.jobFinish(
        finishOf(a, T0 + 1, "completed", {
          ...output("ve a\n", "oops\n"),
          stdoutBytes: 7,
          stderrBytes: 5,
        }),
      ),
      true,
    );
    assert.deepEqual(await store.jobOutputRead({ id: "a", run: a.leaseToken, from: ALL }), []);
    const [run] = await store.jobRuns({ id: "a" });
    assert.deepEqual(
      [run.stdout, run.stderr, run.stdoutBytes, run.stderrBytes],
      [bytes("ve a\n"), bytes("oops\n"), 7, 5],
    );
    // A canceled run's output goes too.
    await store.jobCancel({ ids: ["c"], now: T0 + 1 });
    assert.equal(await store.jobFinish(finishOf(c, T0 + 2, "failed", { runAt: T0 + 3 })), true);
    assert.equal((await store.jobGet({ id: "c" }))?.state, "canceled");
    assert.deepEqual(await store.jobOutputRead({ id: "c", run: c.leaseToken, from: ALL }), []);
    // Another running job keeps its own.
    const other = await store.jobOutputRead({ id: "b", run: b.leaseToken, from: ALL });
    assert.deepEqual(streamOf(other, "stdout"), { start: 0, text: "live b\n" });
    assert.deepEqual(streamOf(other, "stderr"), { start: 0, text: "oops\n" });
  });
}

/** Every chunk returned ends after the offset asked for its stream. */
function assertFrom(chunks: OutputChunk[], from: Record<OutputStream, number>): void {
  for (const c of chunks) {
    assert.ok(
      c.offset + c.data.length > from[c.stream],
      `a ${c.stream} chunk at ${c.offset} (${c.data.length} bytes) lies before ${from[c.stream]}`,
    );
  }
}
