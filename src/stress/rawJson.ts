/**
 * Hostile values as raw JSON text, so that what JSON.stringify cannot write still reaches the server: nesting
 * deeper than any stack (stringify would overflow on our side), numbers past double range (`1e999`), `-0`.
 */
export type RawJson = string;

/** A value JSON.stringify can write, as raw JSON. */
export function rawJson(value: unknown): RawJson {
  return JSON.stringify(value);
}
