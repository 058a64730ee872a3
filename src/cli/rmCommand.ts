import { parseArgs } from "node:util";
import { defaultModelsDir } from "../models/defaultModelsDir.js";
import { formatBytes } from "../models/formatBytes.js";
import { ModelStore } from "../models/ModelStore.js";
import { parseModelRef } from "../models/parseModelRef.js";

export const rmUsage = `hermes rm MODEL [--models-dir DIR]

Deletes a model from the models folder: its file(s) and its record. MODEL is a reference as pulled
(hf:OWNER/REPO:QUANT, a short name, a URL) or the path 'hermes models' shows.

  --models-dir DIR    the models folder (default $HERMES_HOME/models)`;

export async function rmCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { "models-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(rmUsage);
    return 0;
  }
  if (positionals.length !== 1) throw new Error(`give one model to remove\n\n${rmUsage}`);
  const text = positionals[0]!;
  const store = new ModelStore(values["models-dir"] ?? defaultModelsDir());
  const found = store.matching(parseModelRef(text));
  if (found.length === 0) throw new Error(`${text} is not in the models folder ${store.dir} ('hermes models' lists what is)`);
  for (const model of found) {
    store.remove(model);
    console.log(`removed ${model.record.ref}: ${formatBytes(model.bytes)}, ${model.paths.join(", ")}`);
  }
  return 0;
}
