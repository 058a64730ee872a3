import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, type ToolCall } from "./types.js";

export type ToolOutputEvent = { type: "content"; text: string } | { type: "call"; call: ToolCall };

/**
 * Splits generated text, as it streams, into content and tool calls: `<tool_call>{"name": ..., "arguments":
 * ...}</tool_call>` naming one of the tools becomes a call (arguments re-serialized as JSON text); anything else —
 * a block that is not such JSON, an unknown name, an unterminated block at the end — stays content, never an
 * error. Text that may be the start of a marker is held back until it is known; whitespace before a call or at the
 * end is dropped. With `single`, the output ends at its first call, whose closing marker is a stop string and so
 * never comes: a block still open at the end is then that call, when it is one.
 */
export class ToolCallParser {
  private buffer = "";
  private inside = false;
  /** Whitespace held back: it is content only if more content follows (none before a call or at the end). */
  private space = "";

  /** A call was read in `single` mode: nothing after it is read. */
  private ended = false;

  constructor(
    private readonly names: ReadonlySet<string>,
    private readonly single = false,
  ) {}

  push(text: string): ToolOutputEvent[] {
    if (this.ended) return [];
    this.buffer += text;
    const events: ToolOutputEvent[] = [];
    for (;;) {
      if (this.inside) {
        const end = this.buffer.indexOf(TOOL_CALL_CLOSE);
        if (end === -1) return events;
        const body = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + TOOL_CALL_CLOSE.length);
        this.inside = false;
        const call = this.parse(body);
        if (call) {
          this.space = "";
          events.push({ type: "call", call });
          if (this.single) {
            this.ended = true;
            return events;
          }
        } else {
          this.content(events, `${TOOL_CALL_OPEN}${body}${TOOL_CALL_CLOSE}`);
        }
        continue;
      }
      const start = this.buffer.indexOf(TOOL_CALL_OPEN);
      if (start === -1) {
        const keep = partialMarkerLength(this.buffer);
        this.content(events, this.buffer.slice(0, this.buffer.length - keep));
        this.buffer = this.buffer.slice(this.buffer.length - keep);
        return events;
      }
      this.content(events, this.buffer.slice(0, start));
      this.buffer = this.buffer.slice(start + TOOL_CALL_OPEN.length);
      this.inside = true;
    }
  }

  /** What is left once generation has ended: an unfinished block or held text, as content. */
  flush(): ToolOutputEvent[] {
    if (this.ended) return [];
    const call = this.single && this.inside ? this.parse(this.buffer) : undefined;
    if (call) {
      this.buffer = "";
      this.inside = false;
      return [{ type: "call", call }];
    }
    const rest = this.inside ? `${TOOL_CALL_OPEN}${this.buffer}` : this.buffer;
    this.buffer = "";
    this.inside = false;
    const events: ToolOutputEvent[] = [];
    this.content(events, rest);
    return events;
  }

  /** Content, but its trailing whitespace is held: it goes out only if more content follows. */
  private content(events: ToolOutputEvent[], text: string): void {
    const trimmed = text.trimEnd();
    if (trimmed !== "") {
      events.push({ type: "content", text: this.space + trimmed });
      this.space = "";
    }
    this.space += text.slice(trimmed.length);
  }

  private parse(body: string): ToolCall | undefined {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    const { name, arguments: args } = value as { name?: unknown; arguments?: unknown };
    if (typeof name !== "string" || !this.names.has(name)) return undefined;
    let parsed = args ?? {};
    if (typeof parsed === "string") {
      try {
        parsed = JSON.parse(parsed);
      } catch {
        return undefined;
      }
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    return { name, arguments: JSON.stringify(parsed) };
  }
}

/** Length of the longest end of `text` that begins the opening marker. */
function partialMarkerLength(text: string): number {
  for (let length = Math.min(TOOL_CALL_OPEN.length - 1, text.length); length > 0; length--) {
    if (TOOL_CALL_OPEN.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}
