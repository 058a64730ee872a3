/**
 * Keeps per-token records (logprobs) in step with the text the client receives. A token's record goes out with
 * the released text its own text starts in; a token with no text of its own (one byte of a multi-byte character)
 * goes out with the text after it. Records of tokens whose text is held back for stop strings wait with it, and
 * are dropped with it when a stop string cuts the text.
 */
export class TokenReleaseQueue<T> {
  private readonly held: Array<{ record: T; start: number }> = [];
  private decoded = 0;
  private released = 0;

  /** Adds the record of the next token, whose decoded text is `length` characters; returns where that text starts. */
  add(record: T, length: number): number {
    const start = this.decoded;
    this.decoded += length;
    this.held.push({ record, start });
    return start;
  }

  /** `length` more characters were released: the records that go with them. */
  release(length: number): T[] {
    this.released += length;
    let count = 0;
    for (const item of this.held) {
      if (item.start < this.released) count++;
      else break;
    }
    return this.held.splice(0, count).map((item) => item.record);
  }

  /** Every record still held (the generation ended and its text was released whole). */
  drain(): T[] {
    return this.held.splice(0).map((item) => item.record);
  }
}
