/**
 * A small seeded pseudo-random generator (xoshiro128**), so that a generated model is a pure function of its seed.
 * Fast enough to fill gigabytes: `fillBytes` produces four bytes per step.
 */
export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    // splitmix32 expands the seed into the four state words
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Fills `out` with random bytes. */
  fillBytes(out: Uint8Array): void {
    const whole = out.length & ~3;
    if (out.byteOffset % 4 === 0) {
      const words = new Uint32Array(out.buffer, out.byteOffset, whole / 4);
      for (let i = 0; i < words.length; i++) words[i] = this.nextUint32();
    } else {
      const view = new DataView(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < whole; i += 4) view.setUint32(i, this.nextUint32(), true);
    }
    for (let i = whole; i < out.length; i++) out[i] = this.nextUint32() & 0xff;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
