import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../../../src", import.meta.url));

/** Every source file's relative imports (type-only ones and dynamic `import()` included), as paths under src/. */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  walk(SRC);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const imports = [...text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts"))));
    graph.set(relative(SRC, file), imports);
  }
  return graph;
}

/** The layers each layer must not import (the dependency direction of docs/architecture.md). */
const FORBIDDEN: Record<string, string[]> = {
  engine: ["protocol", "templates", "tools", "moderation", "serving", "server", "cli", "models", "eval", "bench", "stress"],
  errors: ["serving", "server", "cli"],
  grammar: ["serving", "server", "cli"],
  models: ["serving", "server", "cli"],
  protocol: ["serving", "server", "cli"],
  templates: ["serving", "server", "cli"],
  tools: ["serving", "server", "cli"],
  moderation: ["serving", "server", "cli"],
  serving: ["server", "cli"],
  server: ["cli"],
};

test("the layers import one way only (cli → server → serving → protocol / templates / tools / moderation → engine)", () => {
  const wrong: string[] = [];
  for (const [file, imports] of importGraph()) {
    const layer = file.split("/")[0]!;
    for (const target of imports) if (FORBIDDEN[layer]?.includes(target.split("/")[0]!)) wrong.push(`${file} imports ${target}`);
  }
  assert.deepEqual(wrong, []);
});

test("no file imports itself back through others", () => {
  const graph = importGraph();
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === "open") cycles.push([...path.slice(path.indexOf(target)), target].join(" → "));
      else if (!state.has(target) && graph.has(target)) visit(target);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  assert.deepEqual(cycles, []);
});
