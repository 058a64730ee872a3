import { basename } from "node:path";

/** The hosted API's ids of the Nous-Hermes-Llama2 models, by parameter count. */
const hostedIds: Record<string, string> = {
  "7b": "nousresearch/nous-hermes-llama2-7b",
  "13b": "nousresearch/nous-hermes-llama2-13b",
};

/**
 * The names a loaded model answers to: the alias (or else the GGUF's name) first, as `/models` lists it, then
 * the file name, and, for a Nous-Hermes-Llama2 file, the hosted API's id, so that code written against the
 * hosted API works unchanged.
 */
export function servedModelIds(source: { alias?: string; name: string; path: string; extra?: readonly string[] }): [string, ...string[]] {
  const stem = basename(source.path).replace(/\.gguf$/i, "");
  const ids: [string, ...string[]] = [source.alias ?? source.name, source.name, stem, ...(source.extra ?? [])];
  for (const text of [source.name, stem]) {
    const match = /nous[-_ ]?hermes[-_ ]?llama[-_ ]?2[-_ ]?(7b|13b)/i.exec(text);
    const hosted = match?.[1] ? hostedIds[match[1].toLowerCase()] : undefined;
    if (hosted) ids.push(hosted);
  }
  return [...new Set(ids)] as [string, ...string[]];
}
