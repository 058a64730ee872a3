/**
 * The path to the first array or object nested more than `maxDepth` levels deep in the JSON `text` (the body itself
 * is level 1), or undefined when none is. It reads the text before `JSON.parse` does: V8 takes seconds to parse
 * millions of nested brackets, and everything after it (validation, schemas, rendering) recurses. Malformed JSON
 * is left for `JSON.parse` to refuse.
 */
export function tooDeep(text: string, maxDepth: number): Array<string | number> | undefined {
  /** Per open container: the key or index being written (an object's key once its colon is read). */
  const path: Array<string | number> = [];
  const arrays: boolean[] = [];
  let stringStart = 0;
  let stringEnd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      stringStart = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
      stringEnd = i + 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (arrays.length === maxDepth) return path;
      arrays.push(c === OPEN_BRACKET);
      path.push(c === OPEN_BRACKET ? 0 : "");
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      arrays.pop();
      path.pop();
    } else if (c === COMMA && arrays.at(-1) === true) {
      (path[path.length - 1] as number)++;
    } else if (c === COLON && arrays.at(-1) === false) {
      path[path.length - 1] = keyOf(text.slice(stringStart, stringEnd));
    }
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function keyOf(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted;
  }
}
