import type { RouteKind } from "./RouteKind.js";
import type { RawJson } from "./rawJson.js";
import { validBody } from "./validBody.js";

/** The body text of `kind`'s valid body with `mutations` applied: fields set to raw JSON or deleted (undefined). */
export function mutatedBodyText(kind: RouteKind, model: string, mutations: ReadonlyArray<readonly [string, RawJson | undefined]>): string {
  const base = { ...validBody(kind, model)! };
  const holes: string[] = [];
  for (const [field, raw] of mutations) {
    if (raw === undefined) delete base[field];
    else {
      base[field] = `\u0000hole${holes.length}`;
      holes.push(raw);
    }
  }
  return JSON.stringify(base).replace(/"\\u0000hole(\d+)"/g, (_, index: string) => holes[Number(index)]!);
}
