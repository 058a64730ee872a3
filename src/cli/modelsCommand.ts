import { parseArgs } from "node:util";
import { defaultModelsDir } from "../models/defaultModelsDir.js";
import { formatBytes } from "../models/formatBytes.js";
import { ModelStore } from "../models/ModelStore.js";
import { quantizationOf } from "../models/quantizationOf.js";
import { describeCheck } from "./describeCheck.js";

export const modelsUsage = `hermes models [--models-dir DIR] [--json]

Lists the models folder: each model's name, quantization, size, how it was checked, and path; then any download
that has not completed (the next 'hermes pull' of its model resumes it).

  --models-dir DIR    the models folder (default $HERMES_HOME/models, HERMES_HOME defaulting to ~/.cache/hermes-serve)
  --json              as JSON: {dir, models: [{name, quantization, bytes, checked, path, paths, source, verifiedAt}], partial: [{path, bytes}]}`;

export async function modelsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "models-dir": { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    console.log(modelsUsage);
    return 0;
  }
  const store = new ModelStore(values["models-dir"] ?? defaultModelsDir());
  const models = store.list().map((model) => ({
    name: model.record.ref,
    quantization: model.record.quantization ?? quantizationOf(model.path) ?? null,
    bytes: model.bytes,
    checked: model.record.checked,
    path: model.path,
    paths: model.paths,
    source: model.record.source,
    verifiedAt: model.record.verifiedAt,
  }));
  const partial = store.partials();
  if (values.json) {
    console.log(JSON.stringify({ dir: store.dir, models, partial }, null, 2));
    return 0;
  }
  if (models.length === 0) console.log(`no models in ${store.dir}`);
  else {
    const rows = [["NAME", "QUANT", "SIZE", "CHECKED", "PATH"], ...models.map((m) => [m.name, m.quantization ?? "-", formatBytes(m.bytes), describeCheck(m.checked), m.path])];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    for (const row of rows) console.log(row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  "));
  }
  if (partial.length > 0) {
    console.log(`\nincomplete downloads (the next pull of their model resumes them):`);
    for (const file of partial) console.log(`  ${file.path} (${formatBytes(file.bytes)})`);
  }
  return 0;
}
