import assert from "node:assert/strict";
import { editDistance, nearestWord } from "./did_you_mean.ts";

Deno.test("editDistance() counts a swap of neighbouring letters as one edit", () => {
  assert.equal(editDistance("lsit", "list"), 1);
  assert.equal(editDistance("enqueu", "enqueue"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

Deno.test("nearestWord() suggests a typo's word and nothing for another word", () => {
  const commands = ["enqueue", "worker", "status", "list", "info", "logs", "wait", "cancel"];
  // Each case: what was typed, what should be suggested, and why.
  const cases: [string, string | undefined, string][] = [
    ["enqueu", "enqueue", "a letter missing"],
    ["lsit", "list", "two letters swapped"],
    ["STATUS", "status", "case does not count"],
    ["wiat", "wait", "a short word, one swap"],
    ["frobnicate", undefined, "no command is near"],
    ["ls", undefined, "two edits is too far for a two-letter word"],
  ];
  for (const [typed, expected, why] of cases) {
    assert.equal(nearestWord(typed, commands), expected, `${typed}: ${why}`);
  }
});
