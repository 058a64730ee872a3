import { Random } from "./Random.js";
import { GgufWriter, type GgmlTypeName, type GgufTensor } from "./GgufWriter.js";
import { halfFloatBits } from "./halfFloat.js";
import { llamaVocabulary } from "./llamaVocabulary.js";
import { llamaShapes, type LlamaShapeName } from "./shapes.js";

export const synthTypes = ["f32", "f16", "q8_0", "q4_0"] as const;
export type SynthType = (typeof synthTypes)[number];

export interface SynthOptions {
  shape: LlamaShapeName;
  type: SynthType;
  out: string;
  seed?: number;
  name?: string;
  chatTemplate?: string;
  /** Called after each tensor with the bytes written so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthResult {
  path: string;
  bytes: number;
  tensors: number;
}

/** `general.file_type` (llama_ftype) of a file whose matrices are all of one type. */
const fileTypes: Record<SynthType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 };
const tensorTypes: Record<SynthType, GgmlTypeName> = { f32: "F32", f16: "F16", q4_0: "Q4_0", q8_0: "Q8_0" };

/** Standard deviation of the random weights: small enough that activations stay finite in any shape. */
const WEIGHT_STD = 0.02;
const CHUNK_ELEMENTS = 1 << 22;

/**
 * Generates a Llama-architecture GGUF model with seeded random weights and the real Llama-2 vocabulary, so that
 * the whole load-tokenize-generate path runs exactly as for a downloaded model (the text it writes is noise).
 */
export function synthesizeLlamaModel(options: SynthOptions): SynthResult {
  const shape = llamaShapes[options.shape];
  const vocabulary = llamaVocabulary();
  const random = new Random(options.seed ?? 1);
  const matrixType = tensorTypes[options.type];
  const headDim = shape.embedding / shape.heads;
  const kvDim = headDim * shape.kvHeads;
  const writer = new GgufWriter()
    .set("general.architecture", { type: "string", value: "llama" })
    .set("general.name", { type: "string", value: options.name ?? `synth-${options.shape}-${options.type}` })
    .set("general.file_type", { type: "u32", value: fileTypes[options.type] })
    .set("llama.context_length", { type: "u32", value: shape.contextLength })
    .set("llama.embedding_length", { type: "u32", value: shape.embedding })
    .set("llama.block_count", { type: "u32", value: shape.layers })
    .set("llama.feed_forward_length", { type: "u32", value: shape.feedForward })
    .set("llama.rope.dimension_count", { type: "u32", value: headDim })
    .set("llama.attention.head_count", { type: "u32", value: shape.heads })
    .set("llama.attention.head_count_kv", { type: "u32", value: shape.kvHeads })
    .set("llama.attention.layer_norm_rms_epsilon", { type: "f32", value: shape.rmsEpsilon })
    .set("llama.vocab_size", { type: "u32", value: vocabulary.tokens.length })
    .set("tokenizer.ggml.model", { type: "string", value: "llama" })
    .set("tokenizer.ggml.tokens", { type: "string[]", value: vocabulary.tokens })
    .set("tokenizer.ggml.scores", { type: "f32[]", value: vocabulary.scores })
    .set("tokenizer.ggml.token_type", { type: "i32[]", value: vocabulary.types })
    .set("tokenizer.ggml.bos_token_id", { type: "u32", value: 1 })
    .set("tokenizer.ggml.eos_token_id", { type: "u32", value: 2 })
    .set("tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 })
    .set("tokenizer.ggml.add_bos_token", { type: "bool", value: true })
    .set("tokenizer.ggml.add_eos_token", { type: "bool", value: false });
  if (options.chatTemplate !== undefined) {
    writer.set("tokenizer.chat_template", { type: "string", value: options.chatTemplate });
  }

  const vocab = vocabulary.tokens.length;
  const tensors: GgufTensor[] = [];
  const matrix = (name: string, cols: number, rows: number): void => {
    tensors.push({ name, dims: [cols, rows], type: matrixType, data: () => randomMatrix(random, matrixType, cols * rows) });
  };
  const norm = (name: string): void => {
    tensors.push({ name, dims: [shape.embedding], type: "F32", data: () => normWeights(random, shape.embedding) });
  };
  matrix("token_embd.weight", shape.embedding, vocab);
  norm("output_norm.weight");
  matrix("output.weight", shape.embedding, vocab);
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    norm(`${blk}.attn_norm.weight`);
    matrix(`${blk}.attn_q.weight`, shape.embedding, shape.embedding);
    matrix(`${blk}.attn_k.weight`, shape.embedding, kvDim);
    matrix(`${blk}.attn_v.weight`, shape.embedding, kvDim);
    matrix(`${blk}.attn_output.weight`, shape.embedding, shape.embedding);
    norm(`${blk}.ffn_norm.weight`);
    matrix(`${blk}.ffn_gate.weight`, shape.embedding, shape.feedForward);
    matrix(`${blk}.ffn_up.weight`, shape.embedding, shape.feedForward);
    matrix(`${blk}.ffn_down.weight`, shape.feedForward, shape.embedding);
  }

  const total = tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  let done = 0;
  for (const tensor of tensors) {
    const inner = tensor.data;
    const elements = tensor.dims.reduce((a, b) => a * b, 1);
    tensor.data = function* () {
      yield* inner();
      done += elements;
      options.onProgress?.(done, total);
    };
    writer.addTensor(tensor);
  }
  const bytes = writer.write(options.out);
  return { path: options.out, bytes, tensors: tensors.length };
}

function* normWeights(random: Random, n: number): Iterable<Uint8Array> {
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = 1 + (random.nextFloat() - 0.5) * 0.2;
  yield new Uint8Array(values.buffer);
}

function* randomMatrix(random: Random, type: GgmlTypeName, elements: number): Iterable<Uint8Array> {
  for (let start = 0; start < elements; start += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, elements - start);
    yield randomChunk(random, type, n);
  }
}

/** Uniform values with the target standard deviation, or raw random quant blocks with a matching scale. */
function randomChunk(random: Random, type: GgmlTypeName, n: number): Uint8Array {
  const halfWidth = WEIGHT_STD * Math.sqrt(3);
  switch (type) {
    case "F32": {
      const values = new Float32Array(n);
      for (let i = 0; i < n; i++) values[i] = (random.nextFloat() * 2 - 1) * halfWidth;
      return new Uint8Array(values.buffer);
    }
    case "F16": {
      const values = new Uint16Array(n);
      for (let i = 0; i < n; i++) values[i] = halfFloatBits((random.nextFloat() * 2 - 1) * halfWidth);
      return new Uint8Array(values.buffer);
    }
    case "Q8_0":
      // int8 quants uniform in [-128, 127] have a standard deviation of about 73.9
      return randomBlocks(random, n / 32, 34, halfFloatBits(WEIGHT_STD / 73.9));
    case "Q4_0":
      // 4-bit quants minus 8, uniform in [-8, 7], have a standard deviation of about 4.61
      return randomBlocks(random, n / 32, 18, halfFloatBits(WEIGHT_STD / 4.61));
  }
}

function randomBlocks(random: Random, blocks: number, blockBytes: number, scaleBits: number): Uint8Array {
  const bytes = new Uint8Array(blocks * blockBytes);
  random.fillBytes(bytes);
  const lo = scaleBits & 0xff;
  const hi = scaleBits >>> 8;
  for (let at = 0; at < bytes.length; at += blockBytes) {
    bytes[at] = lo;
    bytes[at + 1] = hi;
  }
  return bytes;
}
