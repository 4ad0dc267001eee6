/**
 * "Did you mean …?" for a mistyped command or option, as git and gh suggest: the nearest known
 * word by edit distance (a swap of two neighbouring letters counts as one edit), if it is near
 * enough to be a typo rather than another word.
 *
 * @module
 */

/**
 * The known word nearest to `word`, or undefined when none is within a typo's reach: at most one
 * edit for words of up to 4 letters, two up to 8, three beyond.
 *
 * @example
 * ```ts
 * import { nearestWord } from "./did_you_mean.ts";
 * console.assert(nearestWord("enqueu", ["enqueue", "list"]) === "enqueue");
 * console.assert(nearestWord("frobnicate", ["enqueue", "list"]) === undefined);
 * ```
 */
export function nearestWord(word: string, known: readonly string[]): string | undefined {
  const reach = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = reach + 1;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}
