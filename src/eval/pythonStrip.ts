/** The characters Python's `str.isspace()` accepts (JS `\s` differs: it lacks \x1c–\x1f and \x85, adds \ufeff). */
const WHITESPACE = "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const LEADING = new RegExp(`^${WHITESPACE}+`, "u");
const TRAILING = new RegExp(`${WHITESPACE}+$`, "u");

/** Python's `str.strip()`. */
export function pythonStrip(text: string): string {
  return pythonRstrip(text.replace(LEADING, ""));
}

/** Python's `str.rstrip()`. */
export function pythonRstrip(text: string): string {
  return text.replace(TRAILING, "");
}
