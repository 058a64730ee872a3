import { modelCatalogue, type CatalogueEntry } from "./modelCatalogue.js";

/**
 * What a model reference names. `hf-quant`: the GGUF (or split GGUF) of a hub repo whose name carries the
 * quantization; `hf-file`: one file of a repo, by its path there; `url`: a GGUF anywhere on the web.
 */
export type ModelRef =
  | { kind: "path"; path: string }
  | { kind: "hf-quant"; repo: string; quant: string; text: string }
  | { kind: "hf-file"; repo: string; file: string; text: string }
  | { kind: "url"; url: string; text: string };

/** The quantization of `hf:OWNER/REPO` without one: node-llama-cpp's and llama.cpp's default too. */
export const DEFAULT_QUANT = "Q4_K_M";

export const modelRefForms = `a model is one of:
  FILE.gguf                       a file on this machine
  hf:OWNER/REPO:QUANT             the GGUF of a Hugging Face repo whose name carries QUANT (Q4_K_M by default)
  hf:OWNER/REPO/PATH.gguf         one file of a repo
  https://HOST/PATH.gguf          a file on the web
${modelCatalogue.map((entry) => `  ${`${entry.name}[:QUANT]`.padEnd(32)}hf:${entry.repo}, ${entry.defaultQuant} by default`).join("\n")}`;

const repoPart = /^[\w.-]+$/;
const quantPattern = /^\w+$/;

/**
 * Reads a model reference. Anything that is not `hf:`, a URL or a catalogue name is a path (whether it exists is
 * the caller's to check, so an existing file named like a catalogue entry is checked for first by the caller).
 */
export function parseModelRef(text: string): ModelRef {
  if (text.startsWith("hf:")) return parseHf(text);
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`"${text}" is not a valid URL`);
    }
    if (!url.pathname.toLowerCase().endsWith(".gguf")) throw new Error(`${text}: a model URL must name a .gguf file`);
    return { kind: "url", url: url.href, text };
  }
  const [name, quant, ...rest] = text.split(":");
  const entry = modelCatalogue.find((candidate) => candidate.name === name?.toLowerCase());
  if (entry) return catalogueRef(entry, quant, rest.length > 0 ? text : undefined);
  return { kind: "path", path: text };
}

function catalogueRef(entry: CatalogueEntry, quant: string | undefined, malformed: string | undefined): ModelRef {
  if (malformed !== undefined || (quant !== undefined && !quantPattern.test(quant))) {
    throw new Error(`"${malformed ?? `${entry.name}:${quant}`}": a catalogue model is NAME or NAME:QUANT (e.g. ${entry.name}:Q8_0)`);
  }
  const chosen = (quant ?? entry.defaultQuant).toUpperCase();
  return { kind: "hf-quant", repo: entry.repo, quant: chosen, text: `${entry.name}:${chosen}` };
}

function parseHf(text: string): ModelRef {
  const body = text.slice("hf:".length);
  const [owner, repoAndQuant, ...path] = body.split("/");
  const malformed = (): Error => new Error(`"${text}" is not a Hugging Face reference: use hf:OWNER/REPO:QUANT or hf:OWNER/REPO/PATH.gguf`);
  if (owner === undefined || repoAndQuant === undefined || !repoPart.test(owner)) throw malformed();
  if (path.length > 0) {
    const file = path.join("/");
    if (!repoPart.test(repoAndQuant) || path.some((part) => part === "" || part === "." || part === "..")) throw malformed();
    if (!file.toLowerCase().endsWith(".gguf")) throw new Error(`${text}: the file must be a .gguf`);
    return { kind: "hf-file", repo: `${owner}/${repoAndQuant}`, file, text };
  }
  const [repo, quant, ...extra] = repoAndQuant.split(":");
  if (repo === undefined || !repoPart.test(repo) || extra.length > 0 || (quant !== undefined && !quantPattern.test(quant))) throw malformed();
  const chosen = (quant ?? DEFAULT_QUANT).toUpperCase();
  return { kind: "hf-quant", repo: `${owner}/${repo}`, quant: chosen, text: `hf:${owner}/${repo}:${chosen}` };
}
