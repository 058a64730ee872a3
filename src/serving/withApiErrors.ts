import { apiErrorOf } from "./apiErrorOf.js";

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
  if (typeof value !== "object" || value === null || !("chunks" in value)) return value;
  const chunks = value.chunks as AsyncIterable<unknown>;
  return {
    ...value,
    chunks: (async function* () {
      try {
        yield* chunks;
      } catch (error) {
        throw apiErrorOf(error);
      }
    })(),
  };
}
