/**
 * Bounds on the JSON Schemas turned into grammars (response formats, tool parameters), so that no schema can
 * stall the event loop or exhaust memory while its grammar is built or its outputs closed, and every grammar
 * built is one llama.cpp accepts as written. `protocol/limits.ts` lists them with the request bounds.
 */
export const SCHEMA_LIMITS = {
  /**
   * Nesting of subschemas, each `$ref` followed counting as a level: the grammar and the closing recurse once
   * per level. OpenAI's strict mode allows 10; non-strict function parameters have no documented limit.
   */
  depth: 32,
  /** Subschemas visited to build one grammar. */
  subschemas: 10_000,
  /** Properties of all objects together (OpenAI's structured-output limit). */
  properties: 5_000,
  /** `enum` values and `const`s together (OpenAI's structured-output limit). */
  enumValues: 1_000,
  /** Characters of property names, definition names, enum values and consts together (OpenAI's limit). */
  stringChars: 120_000,
  /**
   * `minItems`, `maxItems`, `minLength`, `maxLength`: llama.cpp's MAX_REPETITION_THRESHOLD (llama-grammar.cpp), past
   * which it refuses a grammar (a minimum) or silently drops the bound (a maximum).
   */
  repetition: 2_000,
  /** Bounded repetitions of one grammar together: llama.cpp expands each `x{m,n}` into up to n rules. */
  repetitionsTotal: 20_000,
  /** Characters of the smallest value a schema accepts (the longest text a closing can append). */
  smallestValueChars: 65_536,
} as const;
