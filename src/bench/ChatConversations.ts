import { fillerText } from "./fillerText.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** One turn of the chat workload: conversation c's t-th user message (t from 1) and its answer. */
export interface TurnKey {
  conversation: number;
  turn: number;
}

/**
 * The chat workload's conversations: each opens with its own system prompt, and each turn's request is the
 * conversation so far (the earlier questions, and the answers exactly as the server returned them) plus a new
 * question. Turns come round-robin over the conversations, so a conversation returns only after every other one
 * has had its turn: with more conversations than slots, what a slot held of it is gone by then unless the server
 * kept it elsewhere. Pure bookkeeping; playChat does the requests.
 */
export class ChatConversations {
  private readonly answers: Array<Array<string | undefined>>;
  private readonly sent = new Map<string, ChatMessage[]>();

  constructor(
    private readonly systemPrompts: readonly string[],
    readonly turns: number,
  ) {
    this.answers = systemPrompts.map(() => []);
  }

  /** Every turn, round-robin: the first turn of each conversation, then the second of each, and so on. */
  order(): TurnKey[] {
    return Array.from({ length: this.turns }, (_, t) => this.systemPrompts.map((_, conversation) => ({ conversation, turn: t + 1 }))).flat();
  }

  /** The request of a turn, recorded as sent; the conversation's earlier turns must have their answers. */
  request({ conversation, turn }: TurnKey): ChatMessage[] {
    const messages: ChatMessage[] = [{ role: "system", content: this.systemPrompts[conversation]! }];
    for (let earlier = 1; earlier < turn; earlier++) {
      const answer = this.answers[conversation]![earlier];
      if (answer === undefined) throw new Error(`conversation ${conversation}: turn ${turn} asked before turn ${earlier} was answered`);
      messages.push({ role: "user", content: question(conversation, earlier) }, { role: "assistant", content: answer });
    }
    messages.push({ role: "user", content: question(conversation, turn) });
    this.sent.set(key(conversation, turn), messages);
    return messages;
  }

  answered({ conversation, turn }: TurnKey, text: string): void {
    this.answers[conversation]![turn] = text;
  }

  /** The request a turn was sent with, to send it again (after a restart). */
  sentRequest({ conversation, turn }: TurnKey): ChatMessage[] {
    const messages = this.sent.get(key(conversation, turn));
    if (messages === undefined) throw new Error(`conversation ${conversation}: turn ${turn} was never sent`);
    return messages;
  }
}

const key = (conversation: number, turn: number): string => `${conversation}/${turn}`;

/** A short question, different for every turn of every conversation. */
function question(conversation: number, turn: number): string {
  return `Turn ${turn} of conversation ${conversation}: what about ${fillerText(5, conversation * 31 + turn)}?`;
}
