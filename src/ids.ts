/**
 * Generated job ids: 10 characters of millisecond time then 6 random ones, in Crockford base32
 * (lowercase, no i/l/o/u), so ids sort by creation time. Within one millisecond the random part
 * counts up, so ids made by one process stay in order.
 *
 * @module
 */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RANDOM_CHARS = 6;
const RANDOM_SPACE = 32 ** RANDOM_CHARS;

let lastTime = -1;
let lastRandom = 0;
let lastTimeText = "";

/**
 * A new, time-sortable job id.
 *
 * @example
 * ```ts
 * import { generateJobId } from "./ids.ts";
 * const first = generateJobId(1_700_000_000_000);
 * const second = generateJobId(1_700_000_000_000);
 * console.assert(first.length === 16 && first < second);
 * ```
 */
export function generateJobId(now: number): string {
  if (now === lastTime && lastRandom + 1 < RANDOM_SPACE) {
    lastRandom += 1;
  } else {
    lastTime = Math.max(now, lastTime);
    // Leave headroom so that counting up within the millisecond rarely overflows.
    lastRandom = Math.floor(Math.random() * (RANDOM_SPACE / 2));
    // A batch shares one millisecond: encode its time once.
    lastTimeText = encode(lastTime, 10);
  }
  return lastTimeText + encode(lastRandom, RANDOM_CHARS);
}

function encode(value: number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    text = ALPHABET[value % 32] + text;
    value = Math.floor(value / 32);
  }
  return text;
}
