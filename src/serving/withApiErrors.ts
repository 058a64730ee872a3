import { apiErrorOf } from "./apiErrorOf.js";
import { isStreamed, throughChunks } from "./throughChunks.js";

/**
 * A service's result with the engine's errors turned into the API's (`apiErrorOf`): those thrown before it is
 * ready, and those thrown while its `chunks`, when it streams, are read.
 */
export async function withApiErrors<R>(result: Promise<R>): Promise<R> {
  let value: R;
  try {
    value = await result;
  } catch (error) {
    throw apiErrorOf(error);
  }
  if (!isStreamed(value)) return value;
  return throughChunks(value, async function* (chunks) {
    try {
      yield* chunks;
    } catch (error) {
      throw apiErrorOf(error);
    }
  });
}
