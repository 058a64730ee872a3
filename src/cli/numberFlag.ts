/**
 * What a numeric flag accepts, as its error message says it: any integer, a positive or non-negative one, an
 * integer of at least `min`, or a number of seconds (fractions allowed) that is not negative.
 */
export type NumberFlagKind = "integer" | "positive" | "non-negative" | "seconds" | { min: number };

/** The value of a numeric flag (undefined when it was not given), or an error naming the flag and what it accepts. */
export function numberFlag(value: string, flag: string, kind: NumberFlagKind): number;
export function numberFlag(value: string | undefined, flag: string, kind: NumberFlagKind): number | undefined;
export function numberFlag(value: string | undefined, flag: string, kind: NumberFlagKind): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const { min, integer, text } = rule(kind);
  // `!(n >= min)` also refuses NaN, which a non-numeric text becomes
  if ((integer && !Number.isInteger(n)) || !(n >= min)) throw new Error(`${flag} must be ${text}`);
  return n;
}

function rule(kind: NumberFlagKind): { min: number; integer: boolean; text: string } {
  if (typeof kind === "object") return { min: kind.min, integer: true, text: `an integer >= ${kind.min}` };
  switch (kind) {
    case "integer":
      return { min: -Infinity, integer: true, text: "an integer" };
    case "positive":
      return { min: 1, integer: true, text: "a positive integer" };
    case "non-negative":
      return { min: 0, integer: true, text: "a non-negative integer" };
    case "seconds":
      return { min: 0, integer: false, text: "a number of seconds >= 0" };
  }
}
