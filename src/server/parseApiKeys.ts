/** One API key: the name it is known by (logs, metrics) and its optional per-minute limits. */
export interface ApiKeyEntry {
  name: string;
  key: string;
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute: prompt tokens plus completion tokens. */
  tpm?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const LIMITS = ["rpm", "tpm"] as const;

/**
 * Reads a keys file: one key a line, `NAME KEY [rpm=N] [tpm=N]`, separated by blanks; `#` starts a comment line;
 * blank lines are skipped. Throws an Error naming the line of the first problem; a message never contains a key.
 */
export function parseApiKeys(text: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  const lines = new Map<string, number>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const at = `line ${i + 1}`;
    const [name, key, ...options] = line.split(/\s+/) as [string, string | undefined, ...string[]];
    if (!NAME.test(name)) throw new Error(`${at}: the name must be 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)`);
    if (key === undefined) throw new Error(`${at}: '${name}' has no key (expected NAME KEY [rpm=N] [tpm=N])`);
    const entry: ApiKeyEntry = { name, key };
    for (const option of options) {
      const match = /^([a-z]+)=(.*)$/.exec(option);
      const limit = LIMITS.find((l) => l === match?.[1]);
      if (!match || !limit) throw new Error(`${at}: unknown option for '${name}' (expected rpm=N or tpm=N)`);
      const value = Number(match[2]);
      if (!/^\d+$/.test(match[2]!) || !Number.isSafeInteger(value) || value < 1) throw new Error(`${at}: ${limit} of '${name}' must be a positive integer`);
      if (entry[limit] !== undefined) throw new Error(`${at}: ${limit} of '${name}' is given twice`);
      entry[limit] = value;
    }
    const previousName = lines.get(`name:${name}`);
    if (previousName !== undefined) throw new Error(`${at}: the name '${name}' is already used on line ${previousName}`);
    const previousKey = lines.get(`key:${key}`);
    if (previousKey !== undefined) throw new Error(`${at}: '${name}' has the same key as line ${previousKey}`);
    lines.set(`name:${name}`, i + 1);
    lines.set(`key:${key}`, i + 1);
    entries.push(entry);
  }
  if (entries.length === 0) throw new Error("no keys (expected lines of NAME KEY [rpm=N] [tpm=N])");
  return entries;
}
