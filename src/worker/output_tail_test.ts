import assert from "node:assert/strict";
import { OutputTail, tailText } from "./output_tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("OutputTail keeps everything under the limit", () => {
  const tail = new OutputTail(100);
  tail.push(bytes("hello "));
  tail.push(bytes("world\n"));
  assert.equal(text(tail.tail()), "hello world\n");
  assert.equal(tail.total, 12);
  assert.equal(tailText(tail.tail(), tail.total), "hello world\n");
});

Deno.test("OutputTail keeps the last bytes and tailText() says how many were cut", () => {
  const tail = new OutputTail(5);
  for (const part of ["abc", "defg", "hij"]) tail.push(bytes(part));
  assert.equal(text(tail.tail()), "fghij");
  assert.equal(tailText(tail.tail(), tail.total), "[queuectl: 5 earlier bytes cut]\nfghij");
});

Deno.test("OutputTail.takeNew() hands out each byte once, with its offset in the stream", () => {
  const tail = new OutputTail(100);
  assert.equal(tail.takeNew(), undefined);
  tail.push(bytes("ab"));
  tail.push(bytes("cd"));
  const first = tail.takeNew();
  assert.deepEqual({ offset: first?.offset, data: text(first!.data) }, { offset: 0, data: "abcd" });
  tail.push(bytes("ef"));
  const second = tail.takeNew();
  assert.deepEqual({ offset: second?.offset, data: text(second!.data) }, { offset: 4, data: "ef" });
  assert.equal(tail.takeNew(), undefined);
});

Deno.test("OutputTail.takeNew() gives only the last limit bytes of a burst", () => {
  const tail = new OutputTail(3);
  tail.push(bytes("abcdefg"));
  const fresh = tail.takeNew();
  assert.deepEqual({ offset: fresh?.offset, data: text(fresh!.data) }, { offset: 4, data: "efg" });
});
