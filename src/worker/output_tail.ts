/**
 * Keeps the last `limit` bytes of a stream, counts all of it, and hands out what arrived since
 * the last call of `takeNew` (for live output).
 */
export class OutputTail {
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #kept = 0;
  #total = 0;
  #fresh: Uint8Array[] = [];
  #freshOffset = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** How many bytes the stream has had in all. */
  get total(): number {
    return this.#total;
  }

  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    this.#chunks.push(chunk);
    this.#fresh.push(chunk);
    this.#kept += chunk.length;
    // Drop whole chunks from the front while what stays still covers the limit.
    while (this.#chunks.length > 1 && this.#kept - this.#chunks[0].length >= this.#limit) {
      this.#kept -= this.#chunks.shift()!.length;
    }
  }

  /** The last `limit` bytes (or fewer, if the stream was shorter). */
  tail(): Uint8Array {
    const all = concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit));
  }

  /** What arrived since the last call, with its offset in the stream; undefined if nothing. */
  takeNew(): { offset: number; data: Uint8Array } | undefined {
    if (this.#fresh.length === 0) return undefined;
    let data = concat(this.#fresh);
    let offset = this.#freshOffset;
    this.#freshOffset += data.length;
    this.#fresh = [];
    if (data.length > this.#limit) {
      offset += data.length - this.#limit;
      data = data.subarray(data.length - this.#limit);
    }
    return { offset, data };
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/** A kept tail as text, after a `[queuectl: N earlier bytes cut]` line when it is not whole. */
export function tailText(tail: Uint8Array, total: number): string {
  const text = new TextDecoder().decode(tail);
  const cut = total - tail.length;
  return cut > 0 ? `[queuectl: ${cut} earlier bytes cut]\n${text}` : text;
}
