import { pythonStrip } from "./pythonStrip.js";

/**
 * HellaSwag's text clean-up in lm-evaluation-harness, applied to the query and to each ending: strip, " [title]" →
 * ". ", drop every "[...]" tag, then one left-to-right pass turning double spaces into single ones.
 */
export function hellaswagPreprocess(text: string): string {
  // Python's "." (no DOTALL) is anything but "\n"; JavaScript's would also refuse "\r", U+2028 and U+2029
  return pythonStrip(text).replaceAll(" [title]", ". ").replace(/\[[^\n]*?\]/g, "").replaceAll("  ", " ");
}

/** Python's `str.capitalize()`: the first character upper-cased, all the others lower-cased. */
export function pythonCapitalize(text: string): string {
  const [first = "", ...rest] = [...text];
  return first.toUpperCase() + rest.join("").toLowerCase();
}
