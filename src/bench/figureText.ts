import { percentile } from "./percentile.js";

/** A figure as the tables print it: fixed digits, "–" for one that could not be measured. */
export const fixed = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : "–");

/** Figures of several runs as their median with the range: "43 (31–51)"; "–" for none. */
export const spread = (values: readonly number[], digits = 0): string =>
  values.length === 0
    ? "–"
    : `${fixed(percentile(values, 50), digits)} (${fixed(Math.min(...values), digits)}–${fixed(Math.max(...values), digits)})`;
