/**
 * The engine's own failures. The engine knows nothing of HTTP or of the API's parameter names: the serving layer
 * turns these into the API's errors (`serving/apiErrorOf.ts`).
 */
export class EngineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No slot is free and the queue is full, or a request waited longer than the queue timeout. */
export class QueueFullError extends EngineError {}

/** The engine is draining or closed: it takes no new work, and what was queued or running (on close) ends with this. */
export class ShuttingDownError extends EngineError {
  constructor() {
    super("The engine is shutting down.");
  }
}

/** The request's signal aborted; `reason` is the signal's reason (the caller's: a deadline, a client gone). */
export class AbortedError extends EngineError {
  constructor(readonly reason: unknown) {
    super("The request was aborted.");
  }

  static of(signal: AbortSignal | undefined): AbortedError {
    return new AbortedError(signal?.reason);
  }
}

/** The prompt plus the tokens asked for do not fit a slot's context. */
export class ContextTooLongError extends EngineError {
  constructor(
    readonly promptTokens: number,
    readonly requestedTokens: number,
    readonly contextSize: number,
  ) {
    super(`${promptTokens} prompt tokens plus ${requestedTokens} more do not fit the context of ${contextSize} tokens.`);
  }
}

/** llama.cpp, node-llama-cpp or the decode loop itself failed while running this request (`cause`: the fault). */
export class EngineFailureError extends EngineError {
  constructor(cause: unknown) {
    super(`The engine failed while running the request: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
