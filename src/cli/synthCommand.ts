import { parseArgs } from "node:util";
import { synthesizeLlamaModel, synthTypes, type SynthType } from "../gguf/synthesizeLlamaModel.js";
import { llamaShapes, type LlamaShapeName } from "../gguf/shapes.js";
import { ProgressBar } from "./ProgressBar.js";
import { numberFlag } from "./numberFlag.js";

export const synthUsage = `hermes synth --shape tiny|1b|7b|13b --type f32|f16|q8_0|q4_0 --out FILE [--seed N] [--name NAME]

Writes a Llama-architecture GGUF with seeded random weights and the real Llama-2 vocabulary.
Its speed equals a real model's of the same shape and type; its text is noise.`;

export async function synthCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      shape: { type: "string", default: "tiny" },
      type: { type: "string", default: "f32" },
      out: { type: "string" },
      seed: { type: "string", default: "1" },
      name: { type: "string" },
      "chat-template": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(synthUsage);
    return 0;
  }
  if (!(values.shape in llamaShapes)) throw new Error(`--shape must be one of ${Object.keys(llamaShapes).join(", ")}`);
  if (!synthTypes.includes(values.type as SynthType)) throw new Error(`--type must be one of ${synthTypes.join(", ")}`);
  if (!values.out) throw new Error(`--out is required\n\n${synthUsage}`);
  const seed = numberFlag(values.seed, "--seed", "integer");
  const progress = new ProgressBar(`synth ${values.shape} ${values.type}`);
  const started = Date.now();
  const result = synthesizeLlamaModel({
    shape: values.shape as LlamaShapeName,
    type: values.type as SynthType,
    out: values.out,
    seed,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values["chat-template"] !== undefined ? { chatTemplate: values["chat-template"] } : {}),
    onProgress: (done, total) => progress.update(done / total),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  progress.done(`wrote ${result.path}: ${(result.bytes / 2 ** 20).toFixed(1)} MiB, ${result.tensors} tensors, ${seconds}s`);
  return 0;
}
