/**
 * The quantization a GGUF's file name carries (`nous-hermes-llama2-13b.Q4_K_M.gguf` → `Q4_K_M`,
 * `Q8_0/model-Q8_0-00001-of-00002.gguf` → `Q8_0`), upper-cased, or undefined. A name counts only between
 * separators (`.`, `-`, `_`, `/`) so that `Q4_K` is not read out of `Q4_K_M` nor `Q4_XS` out of `IQ4_XS`.
 */
export function quantizationOf(fileName: string): string | undefined {
  const stem = fileName.replace(/(-\d{5}-of-\d{5})?\.gguf$/i, "");
  const pattern = /(?:^|[._/-])((?:I?Q\d+|TQ\d)(?:_[A-Z0-9]+)*|B?F16|F32|MXFP4(?:_MOE)?)(?=$|[.\-/])/gi;
  let last: string | undefined;
  for (const match of stem.matchAll(pattern)) last = match[1];
  return last?.toUpperCase();
}

/** Whether `fileName` carries `quant` (as `quantizationOf` reads names). */
export function hasQuantization(fileName: string, quant: string): boolean {
  return quantizationOf(fileName) === quant.toUpperCase();
}
