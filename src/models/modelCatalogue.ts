/** A model hermes knows by a short name: its Hugging Face repo of GGUF files and the quantization taken by default. */
export interface CatalogueEntry {
  name: string;
  /** `OWNER/REPO` on the hub. */
  repo: string;
  defaultQuant: string;
  description: string;
}

/**
 * The seed models. Q4_K_M by default: llama.cpp's usual balance of size and quality (the 13B in 7.9 GB, the 7B in
 * 4.1 GB); `NAME:Q8_0` and the like pick another of the repo's files.
 */
export const modelCatalogue: readonly CatalogueEntry[] = [
  {
    name: "nous-hermes-llama2-13b",
    repo: "TheBloke/Nous-Hermes-Llama2-GGUF",
    defaultQuant: "Q4_K_M",
    description: "Nous-Hermes-Llama2 13B (NousResearch), GGUF by TheBloke",
  },
  {
    name: "nous-hermes-llama2-7b",
    repo: "TheBloke/Nous-Hermes-Llama-2-7B-GGUF",
    defaultQuant: "Q4_K_M",
    description: "Nous-Hermes-Llama2 7B (NousResearch), GGUF by TheBloke",
  },
];
