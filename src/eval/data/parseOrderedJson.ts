/** A JSON value whose objects keep their keys in file order (JSON.parse moves integer-like keys such as "1984" first). */
export type OrderedJson = string | number | boolean | null | OrderedJson[] | Map<string, OrderedJson>;

const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text, objects as Maps in file order. Throws SyntaxError with the offset on malformed input. */
export function parseOrderedJson(text: string): OrderedJson {
  let at = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${at}`);
  };
  const space = (): void => {
    while (at < text.length && " \t\n\r".includes(text[at]!)) at++;
  };
  const value = (): OrderedJson => {
    space();
    const c = text[at];
    if (c === "{") {
      at++;
      const map = new Map<string, OrderedJson>();
      space();
      if (text[at] === "}") {
        at++;
        return map;
      }
      for (;;) {
        space();
        if (text[at] !== '"') fail("expected a key");
        const key = string();
        space();
        if (text[at++] !== ":") fail("expected ':'");
        map.set(key, value());
        space();
        const next = text[at++];
        if (next === "}") return map;
        if (next !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at++;
      const list: OrderedJson[] = [];
      space();
      if (text[at] === "]") {
        at++;
        return list;
      }
      for (;;) {
        list.push(value());
        space();
        const next = text[at++];
        if (next === "]") return list;
        if (next !== ",") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    LITERAL.lastIndex = at;
    const literal = LITERAL.exec(text);
    if (!literal) return fail("unexpected character");
    at += literal[0].length;
    return JSON.parse(literal[0]) as OrderedJson;
  };
  const string = (): string => {
    STRING.lastIndex = at;
    const match = STRING.exec(text);
    if (!match) return fail("malformed string");
    at += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const result = value();
  space();
  if (at !== text.length) fail("unexpected text after the value");
  return result;
}
