import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import {
  exitCodesFromColumn,
  exitCodesToColumn,
  parseExitCodes,
  validateExitCodes,
} from "./exit_codes.ts";

Deno.test("validateExitCodes() keeps 1 to 64 integers from 0 to 255, sorted, each once", () => {
  assert.deepEqual(validateExitCodes([111, 0, 75, 255, 75]), [0, 75, 111, 255]);
  const bad: [intent: string, value: unknown][] = [
    ["not an array", 75],
    ["empty", []],
    ["65 codes", Array.from({ length: 65 }, (_, code) => code)],
    ["over 255", [256]],
    ["negative", [-1]],
    ["a fraction", [1.5]],
    ["a string", ["2"]],
    ["null", [null]],
  ];
  for (const [intent, value] of bad) {
    assert.throws(() => validateExitCodes(value), UsageError, intent);
  }
});

Deno.test("parseExitCodes() reads a flag's comma-separated codes, naming the flag when wrong", () => {
  assert.deepEqual(parseExitCodes(" 75, 111 ", "--retry-on"), [75, 111]);
  for (const text of ["", "75,", "a", "1e2", "0x10", "256", "-1", "75;111"]) {
    assert.throws(() => parseExitCodes(text, "--retry-on"), /--retry-on/, JSON.stringify(text));
  }
});

Deno.test("exitCodesFromColumn() reads back what exitCodesToColumn() stores, and never throws", () => {
  assert.deepEqual(exitCodesFromColumn(exitCodesToColumn([2, 3])), [2, 3]);
  assert.equal(exitCodesFromColumn(exitCodesToColumn(null)), null);
  for (const stored of ["not json", "{}", "[]", "[300]", '["2"]', "[1.5]", "7", "null"]) {
    assert.equal(exitCodesFromColumn(stored), "invalid", stored);
  }
});
