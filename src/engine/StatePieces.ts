import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";

/** Bytes read per piece. */
const PIECE = 64 * 2 ** 20;

/**
 * A KV state file's bytes in memory, in pieces: a 13B's state can pass a Buffer's 2 GiB limit, and node-llama-cpp
 * saves and loads states only through files.
 */
export class StatePieces {
  private constructor(private readonly pieces: readonly Buffer[]) {}

  static async read(path: string): Promise<StatePieces> {
    const pieces: Buffer[] = [];
    for await (const piece of createReadStream(path, { highWaterMark: PIECE })) pieces.push(piece as Buffer);
    return new StatePieces(pieces);
  }

  /** The SHA-256 of a file, read as a stream (never all of it in memory). */
  static async hashFile(path: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const piece of createReadStream(path, { highWaterMark: PIECE })) hash.update(piece as Buffer);
    return hash.digest("hex");
  }

  get size(): number {
    return this.pieces.reduce((sum, piece) => sum + piece.length, 0);
  }

  sha256(): string {
    const hash = createHash("sha256");
    for (const piece of this.pieces) hash.update(piece);
    return hash.digest("hex");
  }

  async write(path: string): Promise<void> {
    const file = await open(path, "w");
    try {
      // writeFile on a handle writes a whole piece from the current position (write() may write part of one)
      for (const piece of this.pieces) await file.writeFile(piece);
    } finally {
      await file.close();
    }
  }
}
