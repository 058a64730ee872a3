import { closeSync, openSync, writeSync } from "node:fs";

/** GGUF metadata value types (gguf.h `enum gguf_type`). */
const enum ValueType {
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
}

/** ggml tensor types that the writer can store. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GgmlType;

/** Elements per block and bytes per block of each storable type. */
export const ggmlTypeLayout: Record<GgmlTypeName, { blockElements: number; blockBytes: number }> = {
  F32: { blockElements: 1, blockBytes: 4 },
  F16: { blockElements: 1, blockBytes: 2 },
  Q4_0: { blockElements: 32, blockBytes: 18 },
  Q8_0: { blockElements: 32, blockBytes: 34 },
};

export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: readonly string[] }
  | { type: "f32[]"; value: ArrayLike<number> }
  | { type: "i32[]"; value: ArrayLike<number> };

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the innermost (contiguous) dimension. */
  dims: readonly number[];
  type: GgmlTypeName;
  /** Produces the tensor's bytes, in pieces; their total must equal the tensor's size. */
  data: () => Iterable<Uint8Array>;
}

const ALIGNMENT = 32;

export function tensorByteSize(tensor: Pick<GgufTensor, "dims" | "type">): number {
  const elements = tensor.dims.reduce((a, b) => a * b, 1);
  const layout = ggmlTypeLayout[tensor.type];
  if (elements % layout.blockElements !== 0) {
    throw new Error(`tensor of ${elements} elements is not a whole number of ${tensor.type} blocks`);
  }
  return (elements / layout.blockElements) * layout.blockBytes;
}

/**
 * Writes a GGUF v3 file: header, metadata, tensor infos, then the aligned tensor data, streamed to disk so that a
 * 13B-shaped model never has to fit in memory at once.
 */
export class GgufWriter {
  private readonly metadata = new Map<string, GgufValue>();
  private readonly tensors: GgufTensor[] = [];

  set(key: string, value: GgufValue): this {
    this.metadata.set(key, value);
    return this;
  }

  addTensor(tensor: GgufTensor): this {
    this.tensors.push(tensor);
    return this;
  }

  /** Writes the file and returns its size in bytes. */
  write(path: string): number {
    const head = new ByteSink();
    head.u32(0x46554747); // "GGUF"
    head.u32(3);
    head.u64(this.tensors.length);
    head.u64(this.metadata.size + 1);
    head.string("general.alignment");
    head.u32(ValueType.UINT32);
    head.u32(ALIGNMENT);
    for (const [key, value] of this.metadata) {
      head.string(key);
      writeValue(head, value);
    }
    let offset = 0;
    for (const tensor of this.tensors) {
      head.string(tensor.name);
      head.u32(tensor.dims.length);
      for (const dim of tensor.dims) head.u64(dim);
      head.u32(GgmlType[tensor.type]);
      head.u64(offset);
      offset = alignUp(offset + tensorByteSize(tensor));
    }
    head.pad(alignUp(head.length) - head.length);

    const fd = openSync(path, "w");
    try {
      let written = writeAll(fd, head.bytes());
      for (const tensor of this.tensors) {
        const expected = tensorByteSize(tensor);
        let size = 0;
        for (const piece of tensor.data()) {
          size += piece.length;
          written += writeAll(fd, piece);
        }
        if (size !== expected) throw new Error(`tensor ${tensor.name}: wrote ${size} bytes, expected ${expected}`);
        const padding = alignUp(size) - size;
        if (padding > 0) written += writeAll(fd, new Uint8Array(padding));
      }
      return written;
    } finally {
      closeSync(fd);
    }
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGNMENT) * ALIGNMENT;
}

function writeAll(fd: number, bytes: Uint8Array): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
  return done;
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  switch (value.type) {
    case "u32":
      sink.u32(ValueType.UINT32);
      sink.u32(value.value);
      return;
    case "i32":
      sink.u32(ValueType.INT32);
      sink.i32(value.value);
      return;
    case "f32":
      sink.u32(ValueType.FLOAT32);
      sink.f32(value.value);
      return;
    case "bool":
      sink.u32(ValueType.BOOL);
      sink.u8(value.value ? 1 : 0);
      return;
    case "string":
      sink.u32(ValueType.STRING);
      sink.string(value.value);
      return;
    case "string[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.STRING);
      sink.u64(value.value.length);
      for (const item of value.value) sink.string(item);
      return;
    case "f32[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.FLOAT32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.f32(value.value[i] ?? 0);
      return;
    case "i32[]":
      sink.u32(ValueType.ARRAY);
      sink.u32(ValueType.INT32);
      sink.u64(value.value.length);
      for (let i = 0; i < value.value.length; i++) sink.i32(value.value[i] ?? 0);
      return;
  }
}

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v, true);
  }
  f32(v: number): void {
    const at = this.reserve(4);
    this.view.setFloat32(at, v, true);
  }
  u64(v: number): void {
    const at = this.reserve(8);
    this.view.setBigUint64(at, BigInt(v), true);
  }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u64(bytes.length);
    const at = this.reserve(bytes.length);
    this.buffer.set(bytes, at);
  }
  pad(n: number): void {
    this.reserve(n);
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
