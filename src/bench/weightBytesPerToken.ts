import { GgmlType, readGgufFileInfo } from "node-llama-cpp";

/** Bytes per element of the tensor types `hermes synth` writes. */
const BYTES_PER_ELEMENT: Partial<Record<GgmlType, number>> = {
  [GgmlType.F32]: 4,
  [GgmlType.F16]: 2,
  [GgmlType.Q4_0]: 18 / 32,
  [GgmlType.Q8_0]: 34 / 32,
};

/**
 * Weight bytes a decode step reads for one token: every tensor but the token embedding table (of which it reads
 * one row). Throws for a tensor type the benchmark does not know (it only runs on generated models).
 */
export async function weightBytesPerToken(modelPath: string): Promise<number> {
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: true });
  let bytes = 0;
  for (const tensor of info.fullTensorInfo ?? []) {
    if (tensor.name === "token_embd.weight") continue;
    const perElement = BYTES_PER_ELEMENT[tensor.ggmlType];
    if (perElement === undefined) throw new Error(`${modelPath}: tensor ${tensor.name} has a type the benchmark cannot size`);
    bytes += tensor.dimensions.reduce<number>((product, d) => product * Number(d), 1) * perElement;
  }
  return bytes;
}
