import type { ChatConversations, TurnKey } from "./ChatConversations.js";
import { REQUEST_DEFAULTS } from "./requestDefaults.js";
import type { ServingTarget } from "./ServingTarget.js";
import { streamRequest } from "./streamRequest.js";

/** What one turn of the chat workload measured. */
export interface ChatTurnRecord extends TurnKey {
  /** Time to first token, ms. */
  ttftMs: number;
  /** From the server's usage; null when it sent none. */
  promptTokens: number | null;
  /** The usage's cached prompt tokens; null when the server gave none. */
  cachedTokens: number | null;
  completionTokens: number;
}

export interface ChatPlayOptions {
  /** Tokens of each answer: greedy, `</s>` banned, so every answer has exactly that many. */
  answerTokens: number;
  /** Turns in flight at once: as many as the server has slots, two users' conversations progressing together. */
  inFlight: number;
  /** "play" asks each turn with the answers so far and records its answer; "replay" sends the recorded request again. */
  mode: "play" | "replay";
  onTurn?: () => void;
}

/**
 * Sends `turns` in their order, `inFlight` at a time: each worker takes the next turn when its previous one is
 * answered. In play mode a turn waits for its conversation's previous answer (it is part of the request), which the
 * round-robin order has almost always settled long before. The first failure ends the play: the waiting turns are
 * released and the error thrown once every worker has stopped.
 */
export async function playChat(
  target: ServingTarget,
  conversations: ChatConversations,
  turns: readonly TurnKey[],
  options: ChatPlayOptions,
): Promise<ChatTurnRecord[]> {
  const records: ChatTurnRecord[] = [];
  const answered = new Map<string, { promise: Promise<void>; resolve(): void; reject(error: unknown): void }>();
  const answerOf = (conversation: number, turn: number) => {
    const key = `${conversation}/${turn}`;
    let entry = answered.get(key);
    if (entry === undefined) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined); // a turn nobody waits for may fail: its error is thrown by its own worker
      entry = { promise, resolve, reject };
      answered.set(key, entry);
    }
    return entry;
  };
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < turns.length) {
      const key = turns[next++]!;
      const answer = answerOf(key.conversation, key.turn);
      try {
        if (options.mode === "play" && key.turn > 1) await answerOf(key.conversation, key.turn - 1).promise;
        const messages = options.mode === "play" ? conversations.request(key) : conversations.sentRequest(key);
        const timing = await streamRequest(
          `${target.apiUrl}/chat/completions`,
          { ...REQUEST_DEFAULTS, temperature: 0, model: target.modelId, messages, max_tokens: options.answerTokens },
          target.requestOptions,
        );
        if (options.mode === "play") conversations.answered(key, timing.text);
        records.push({
          ...key,
          ttftMs: timing.firstTokenAt - timing.sentAt,
          promptTokens: timing.usageReported ? timing.promptTokens : null,
          cachedTokens: timing.cachedTokens ?? null,
          completionTokens: timing.completionTokens,
        });
        answer.resolve();
        options.onTurn?.();
      } catch (error) {
        failure ??= error;
        answer.reject(error);
        // release every turn still waiting, so each worker stops
        for (const entry of answered.values()) entry.reject(failure);
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  if (failure !== undefined) throw failure;
  return records;
}
