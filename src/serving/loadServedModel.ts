import { Engine, type EngineOptions } from "../engine/Engine.js";
import { ServedModel } from "./ServedModel.js";
import { servedModelIds } from "./servedModelIds.js";
import type { ChatFormat } from "../templates/ChatTemplate.js";
import { resolveChatTemplate } from "../templates/resolveChatTemplate.js";

/** A GGUF and how to run it (the engine's options), its prompt format and the names it answers to besides its own. */
export type ServedModelOptions = EngineOptions & { chatFormat?: ChatFormat; alias?: string; extraIds?: readonly string[] };

/**
 * Loads a GGUF as the CLI commands serve it: its engine, its prompt format (`chatFormat`, else the GGUF's template,
 * else Alpaca) and the names it answers to (`given.ids`, else its own: `servedModelIds`).
 */
export async function loadServedModel(options: ServedModelOptions, given: { ids?: readonly [string, ...string[]]; created?: number } = {}): Promise<ServedModel> {
  const { chatFormat, alias, extraIds, ...engineOptions } = options;
  const engine = await Engine.load(engineOptions);
  try {
    const info = engine.info;
    const template = resolveChatTemplate({
      ...(chatFormat !== undefined ? { requested: chatFormat } : {}),
      ...(info.chatTemplate !== undefined ? { ggufTemplate: info.chatTemplate } : {}),
      specialTokens: { bos: info.bosText, eos: info.eosText },
    });
    const ids = given.ids ?? servedModelIds({ ...(alias !== undefined ? { alias } : {}), name: info.name, path: options.modelPath, ...(extraIds ? { extra: extraIds } : {}) });
    return new ServedModel(engine, template, ids, given.created);
  } catch (error) {
    await engine.dispose();
    throw error;
  }
}
