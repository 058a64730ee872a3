import { basename } from "node:path";
import { GgmlType, GgufInsights, readGgufFileInfo } from "node-llama-cpp";
import { DEFAULT_PREFILL_CHUNK } from "./engineDefaults.js";
import type { KvCacheSettings, KvCacheType } from "./kvCacheLayout.js";

/** What is known of a GGUF before it is loaded: its names, its context, and the memory it would take. */
export interface ModelOutline {
  /** The GGUF's `general.name`, or the file name. */
  name: string;
  path: string;
  /** Tokens per request once loaded: the one asked for, else the model's training context. */
  contextSize: number;
  /** Host memory the weights and a context of `parallel` slots would take, as node-llama-cpp estimates it. */
  memoryBytes: number;
}

/**
 * Reads a GGUF's header (not its weights) and estimates what loading it with these options would take, so that a
 * server of several models can refuse a load that would not fit before it starts it. The estimate is
 * node-llama-cpp's (`GgufInsights`), made for a CPU: the weights plus the KV cache and compute buffers of the context.
 */
export async function inspectModel(options: {
  modelPath: string;
  parallel: number;
  contextSize?: number;
  prefillChunk?: number;
  kvCache?: Partial<KvCacheSettings>;
}): Promise<ModelOutline> {
  const file = await readGgufFileInfo(options.modelPath, { logWarnings: false });
  const insights = await GgufInsights.from(file);
  const contextSize = options.contextSize ?? insights.trainContextSize ?? 4096;
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    modelGpuLayers: 0,
    sequences: options.parallel,
    batchSize: (options.prefillChunk ?? DEFAULT_PREFILL_CHUNK.cpu) + options.parallel,
    kvCacheKeyType: ggmlType(options.kvCache?.keyType ?? "f16"),
    kvCacheValueType: ggmlType(options.kvCache?.valueType ?? "f16"),
  });
  const name = file.metadata.general?.name;
  return {
    name: typeof name === "string" && name !== "" ? name : basename(options.modelPath).replace(/\.gguf$/i, ""),
    path: options.modelPath,
    contextSize,
    memoryBytes: model.cpuRam + context.cpuRam,
  };
}

function ggmlType(type: KvCacheType): GgmlType {
  return { f16: GgmlType.F16, q8_0: GgmlType.Q8_0, q4_0: GgmlType.Q4_0 }[type];
}
