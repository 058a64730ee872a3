import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BigbenchExample, BigbenchTaskSettings } from "../tasks/bigbenchDocument.js";
import { parseOrderedJson, type OrderedJson } from "./parseOrderedJson.js";

/** Serializes parsed JSON keeping the file's key order: equal text ⇔ equal examples (as Python's json.dumps). */
function serialize(value: OrderedJson): string {
  if (value instanceof Map) return `{${[...value].map(([key, inner]) => `${JSON.stringify(key)}:${serialize(inner)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(serialize).join(",")}]`;
  return JSON.stringify(value);
}

/**
 * A BigBench task file as lm-evaluation-harness ships it (`lm_eval/datasets/bigbench_resources/<name>.json`, under
 * `DIR/bigbench/`): the prompt settings, and the examples de-duplicated (first occurrence kept, order preserved)
 * with their `target_scores` in file order.
 */
export function loadBigbenchExamples(dataDir: string, task: string): { settings: BigbenchTaskSettings; examples: BigbenchExample[] } {
  const path = join(dataDir, "bigbench", `${task.replace(/^bigbench_/, "")}.json`);
  if (!existsSync(path)) {
    throw new Error(`no data for ${task}: expected ${path} (the file of that name in lm-evaluation-harness's lm_eval/datasets/bigbench_resources/)`);
  }
  const root = parseOrderedJson(readFileSync(path, "utf8"));
  if (!(root instanceof Map) || !Array.isArray(root.get("examples"))) throw new Error(`${path}: not a BIG-bench task file (no "examples")`);
  const settings: BigbenchTaskSettings = {};
  for (const key of ["task_prefix", "example_input_prefix", "example_output_prefix", "choice_prefix", "output_regex", "stop_string"] as const) {
    const value = root.get(key);
    if (typeof value === "string") settings[key] = value;
  }
  const append = root.get("append_choices_to_input");
  if (typeof append === "boolean") settings.append_choices_to_input = append;
  const metrics = root.get("metrics");
  if (Array.isArray(metrics)) settings.metrics = metrics.filter((metric): metric is string => typeof metric === "string");

  const seen = new Set<string>();
  const examples: BigbenchExample[] = [];
  for (const [index, example] of (root.get("examples") as OrderedJson[]).entries()) {
    const key = serialize(example);
    if (seen.has(key)) continue;
    seen.add(key);
    const input = example instanceof Map ? example.get("input") : undefined;
    const scores = example instanceof Map ? example.get("target_scores") : undefined;
    if (typeof input !== "string" || !(scores instanceof Map)) throw new Error(`${path}, example ${index}: no input or target_scores`);
    const target = example instanceof Map ? example.get("target") : undefined;
    examples.push({
      input,
      target_scores: [...scores].map(([choice, score]) => [choice, Number(score)] as const),
      ...(typeof target === "string" ? { target } : {}),
    });
  }
  return { settings, examples };
}
