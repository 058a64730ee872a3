import { stat } from "node:fs/promises";
import { GgufFileType, readGgufFileInfo } from "node-llama-cpp";

/** What a GGUF's header and file say of a model, for the APIs that describe models (Ollama's `/api/tags`, `/api/show`). */
export interface GgufDetails {
  /** `general.architecture` ("llama"). */
  architecture: string;
  /** The weights' parameters, counted from the tensors' shapes. */
  parameterCount: number;
  /** `general.file_type` as llama.cpp names it ("Q4_K_M", "F16", "F32"); "unknown" when the header does not say. */
  quantization: string;
  /** The header's metadata, its keys dotted as in the file ("llama.context_length"); its lists (the vocabulary's) null unless asked for. */
  metadata: Record<string, unknown>;
  /** `tokenizer.chat_template`, when the GGUF has one. */
  chatTemplate: string | undefined;
  sizeBytes: number;
  modifiedMs: number;
}

/** Reads a GGUF's header (not its weights) and its file's size and time. */
export async function readGgufDetails(path: string, options: { lists: boolean }): Promise<GgufDetails> {
  const [file, stats] = await Promise.all([readGgufFileInfo(path, { logWarnings: false }), stat(path)]);
  const general = file.metadata.general as Record<string, unknown> | undefined;
  const fileType = general?.file_type;
  const parameterCount = (file.fullTensorInfo ?? []).reduce((sum, tensor) => sum + tensor.dimensions.reduce<number>((product, d) => product * Number(d), 1), 0);
  const template = (file.metadata.tokenizer as Record<string, unknown> | undefined)?.chat_template;
  return {
    architecture: String(general?.architecture ?? "unknown"),
    parameterCount,
    quantization: typeof fileType === "number" && GgufFileType[fileType] !== undefined ? GgufFileType[fileType]!.replace(/^(MOSTLY|ALL)_/, "") : "unknown",
    metadata: flatten(file.metadata as unknown as Record<string, unknown>, "", options.lists),
    chatTemplate: typeof template === "string" ? template : undefined,
    sizeBytes: stats.size,
    modifiedMs: stats.mtimeMs,
  };
}

/** node-llama-cpp nests the header's dotted keys; they are put back as the file has them (big integers as numbers). */
function flatten(node: Record<string, unknown>, prefix: string, lists: boolean, out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(node)) {
    const name = prefix === "" ? key : `${prefix}.${key}`;
    if (Array.isArray(value)) out[name] = lists ? value.map((item) => (typeof item === "bigint" ? Number(item) : item)) : null;
    else if (typeof value === "bigint") out[name] = Number(value);
    else if (value !== null && typeof value === "object") flatten(value as Record<string, unknown>, name, lists, out);
    else out[name] = value;
  }
  return out;
}
