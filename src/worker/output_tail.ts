/** Keeps the last `limit` bytes of a stream, with a marker saying how much was cut before it. */
export class OutputTail {
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #kept = 0;
  #total = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    this.#chunks.push(chunk);
    this.#kept += chunk.length;
    // Drop whole chunks from the front while what stays still covers the limit.
    while (this.#chunks.length > 1 && this.#kept - this.#chunks[0].length >= this.#limit) {
      this.#kept -= this.#chunks.shift()!.length;
    }
  }

  /** Everything seen, or its tail after a `[queuectl: N bytes cut]` line. */
  text(): string {
    const all = new Uint8Array(this.#kept);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    const tail = all.subarray(Math.max(0, all.length - this.#limit));
    const text = new TextDecoder().decode(tail);
    const cut = this.#total - tail.length;
    return cut > 0 ? `[queuectl: ${cut} earlier bytes cut]\n${text}` : text;
  }
}
