/**
 * `${{ … }}` in GitHub workflow and action text, for the tests that run their steps here: each
 * expression is looked up, as written, in a table of the values the test gives it.
 *
 * @module
 */
import assert from "node:assert/strict";

/** `${{ … }}` in `text`, from `context`; an expression it does not know fails. */
export function expand(text: string, context: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    assert.ok(expression in context, `the test cannot evaluate \${{ ${expression} }}`);
    return context[expression];
  });
}
