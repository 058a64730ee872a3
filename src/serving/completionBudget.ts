import type { Engine } from "../engine/Engine.js";
import { apiErrorOf } from "./apiErrorOf.js";

/**
 * `Engine.completionBudget`, its refusal as the API's 400 `context_length_exceeded` naming `param`, the request
 * parameter the client should change.
 */
export function completionBudget(engine: Engine, promptTokens: number, maxTokens: number | undefined, param: string): number {
  try {
    return engine.completionBudget(promptTokens, maxTokens);
  } catch (error) {
    throw apiErrorOf(error, param);
  }
}
