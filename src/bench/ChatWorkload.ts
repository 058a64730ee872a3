import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { ChatConversations, type TurnKey } from "./ChatConversations.js";
import { afterRestart, type ChatVariant } from "./chatVariants.js";
import { playChat, type ChatTurnRecord } from "./playChat.js";
import { ServerProcess } from "./ServerProcess.js";
import type { ServingTarget } from "./ServingTarget.js";
import { textOfTokens } from "./textOfTokens.js";
import { warmUp } from "./warmUp.js";

export interface ChatWorkloadSettings {
  conversations: number;
  /** Turns per conversation: the first, then the returning ones. */
  turns: number;
  /** Tokens of each conversation's own system prompt: what a server that kept nothing reads again every turn. */
  systemPromptTokens: number;
  /** Tokens of each answer. */
  answerTokens: number;
}

/** The turns one server played (or replayed) under one configuration. */
export interface ChatRun {
  /** The hermes variant (chatVariants.ts), or "peer". */
  variant: string;
  turns: ChatTurnRecord[];
}

/** The slots of the chat workload's hermes server, and the turns in flight on any target: two users at once. */
export const CHAT_SLOTS = 2;

/**
 * The chat workload: `conversations` conversations of `turns` turns, round-robin, two turns in flight, against a
 * hermes server started for each variant (chatVariants.ts) or against a peer. Every target gets the same system
 * prompts and questions; each conversation goes on with the answers its own server gave.
 */
export class ChatWorkload {
  private readonly systemPrompts: string[];

  constructor(
    private readonly settings: ChatWorkloadSettings,
    tokenizer: { countTokens(text: string): number },
  ) {
    if (settings.conversations < CHAT_SLOTS) throw new Error(`the chat workload needs at least ${CHAT_SLOTS} conversations`);
    this.systemPrompts = Array.from({ length: settings.conversations }, (_, c) => textOfTokens(tokenizer, settings.systemPromptTokens, 3000 + c));
  }

  /** Turns a variant plays (and replays). */
  turnsOf(variant?: ChatVariant): number {
    const { conversations, turns } = this.settings;
    return conversations * turns + (variant?.restart ? conversations * (turns - 1) : 0);
  }

  /** Starts `hermes serve ...serverArgs` as the variant says, plays the workload, and replays it after a restart if asked. */
  async runVariant(serverArgs: readonly string[], variant: ChatVariant, onTurn: () => void): Promise<ChatRun[]> {
    const cacheDir = mkdtempSync(join(os.tmpdir(), "hermes-bench-chat-"));
    try {
      const args = [...serverArgs, "--parallel", String(CHAT_SLOTS), ...variant.args(cacheDir)];
      const conversations = new ChatConversations(this.systemPrompts, this.settings.turns);
      const runs = [{ variant: variant.name, turns: await this.withServer(args, (server) => this.play(server, conversations, conversations.order(), "play", onTurn)) }];
      if (variant.restart) {
        const returning = conversations.order().filter((key) => key.turn > 1);
        runs.push({ variant: afterRestart(variant.name), turns: await this.withServer(args, (server) => this.play(server, conversations, returning, "replay", onTurn)) });
      }
      return runs;
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }

  /** Plays the workload against a server already running (a peer, warmed up by the caller). */
  async runOn(target: ServingTarget, variant: string, onTurn: () => void): Promise<ChatRun> {
    const conversations = new ChatConversations(this.systemPrompts, this.settings.turns);
    return { variant, turns: await this.play(target, conversations, conversations.order(), "play", onTurn) };
  }

  private play(target: ServingTarget, conversations: ChatConversations, turns: readonly TurnKey[], mode: "play" | "replay", onTurn: () => void) {
    return playChat(target, conversations, turns, { answerTokens: this.settings.answerTokens, inFlight: CHAT_SLOTS, mode, onTurn });
  }

  private async withServer<T>(args: readonly string[], use: (server: ServerProcess) => Promise<T>): Promise<T> {
    const server = await ServerProcess.start(args);
    try {
      await warmUp(server);
      return await use(server);
    } finally {
      await server.stop();
    }
  }
}
