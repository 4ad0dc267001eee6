import assert from "node:assert/strict";
import { OutputTail } from "./output_tail.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("OutputTail keeps everything under the limit", () => {
  const tail = new OutputTail(100);
  tail.push(bytes("hello "));
  tail.push(bytes("world\n"));
  assert.equal(tail.text(), "hello world\n");
});

Deno.test("OutputTail keeps the last bytes and says how many were cut", () => {
  const tail = new OutputTail(5);
  for (const part of ["abc", "defg", "hij"]) tail.push(bytes(part));
  assert.equal(tail.text(), "[queuectl: 5 earlier bytes cut]\nfghij");
});
