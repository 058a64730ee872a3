/**
 * What the store knows of a model it holds, written next to its (first) file once every file checked out: where it
 * came from, and each file's size and SHA-256 as the hub stated them. A later start compares sizes only (a `stat`),
 * so gigabytes are hashed once, before first use.
 */
export interface ModelRecord {
  /** The reference it was pulled by, canonical (`hf:OWNER/REPO:QUANT`, `hf:OWNER/REPO/FILE.gguf`, the URL). */
  ref: string;
  /** For the hub, `file` is the first file's path in the repo. */
  source: { kind: "hf"; endpoint: string; repo: string; file: string } | { kind: "url"; url: string };
  quantization?: string;
  /** The files, the first one the model's entry point; `name` relative to the record's folder. */
  files: Array<{ name: string; size: number; sha256?: string }>;
  /**
   * `sha256`: every file's hash and size matched the hub's; `size`: a URL's download (or a hub file outside LFS), its
   * size matched the one stated; `none`: a URL whose server stated no size.
   */
  checked: "sha256" | "size" | "none";
  verifiedAt: string;
}
