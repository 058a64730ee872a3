import { SCHEMA_LIMITS } from "../grammar/schemaLimits.js";

/**
 * Every bound on a request, in one place (the README's "Limits" table lists them): OpenAI's values where it has
 * them, otherwise ours, chosen so that no request can stall the event loop for long or exhaust memory. A request
 * past one is a 400 naming the parameter.
 */
export const LIMITS = {
  /** The model named to `/models/load` and `/models/unload`. */
  modelNameChars: 256,
  /** Nesting of the JSON body (arrays and objects): everything that walks it recursively stays far from the stack's end. */
  bodyDepth: 64,
  /** `n` (OpenAI's maximum). */
  n: 128,
  /** `best_of` (OpenAI's maximum). */
  bestOf: 20,
  /** Generations of one request: `n` (or `best_of`) × prompts. Each is a generation on a slot, with its own state. */
  choices: 128,
  /** Prompts of one completions request (a choice each at least). */
  prompts: 128,
  /** Messages of one chat request. */
  messages: 2_048,
  /** Stop strings (OpenAI's maximum) and the characters of each. */
  stopStrings: 4,
  stopChars: 256,
  /** `logit_bias` entries. */
  logitBias: 300,
  /** Tools, or legacy functions (OpenAI's maximum). */
  tools: 128,
  /** Inputs of one embeddings request (OpenAI's maximum), and the characters of each text input (tokenized at once). */
  embeddingInputs: 2_048,
  embeddingInputChars: 65_536,
  /** Token ids of one `/detokenize` request (detokenized at once). */
  detokenizeTokens: 131_072,
  schema: SCHEMA_LIMITS,
} as const;
