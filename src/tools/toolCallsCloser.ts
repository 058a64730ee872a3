import { jsonCloser, NotAPrefixError, smallestJson } from "../grammar/closeJson.js";
import { closerPerOutput, type OutputReading } from "../grammar/closerPerOutput.js";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from "./types.js";

/**
 * The closing of forced tool calls (`toolCallGrammar`): the text that completes the text of an output — calls
 * `<tool_call>{"name": ..., "arguments": ...}</tool_call>` separated by newlines, as the grammar writes them — into
 * whole calls (`NotAPrefixError` when nothing does). The engine asks after every sampled token with the text so
 * far, so each output's reading is carried on from text to text, a text costing what it adds (as `jsonCloser`
 * does for a JSON output). The `n` choices of a request share the function: a reading is kept per output
 * (`closerPerOutput`).
 * `schema` is the call schema, already checked closable (`assertClosable`).
 */
export function toolCallsCloser(schema: unknown): (text: string) => string {
  const smallest = smallestJson(schema);
  return closerPerOutput(() => new CallsReading(schema, smallest));
}

/** What was read of the call being written. */
interface CallReading {
  /** Closes the call's JSON body, each body extending the one before (its reading carried on). */
  json: (body: string) => string;
  /**
   * The body was no JSON prefix: nothing completes it, so nothing completes a body extending it either (a
   * completion of the longer body would complete the shorter one): its JSON is not read again.
   */
  pastJson: boolean;
  /** Where a partial closing marker begins in the body, and the closing of the JSON before it (or its error). */
  beforeMarker?: { at: number; closing: string } | { at: number; error: unknown };
}

/** The texts of one output, each extending the one before. */
class CallsReading implements OutputReading {
  private text = "";
  /** Where the call being written starts: after the last separator. */
  private start = 0;
  private call: CallReading | undefined;
  constructor(
    private readonly schema: unknown,
    private readonly smallest: string,
  ) {}

  /** The length of the text read last, if `text` extends it. */
  extendedBy(text: string): number | undefined {
    // (a slice compared is an exact check several times faster than startsWith on long texts)
    return text.slice(0, this.text.length) === this.text ? this.text.length : undefined;
  }

  close(text: string): string {
    const extended = this.extendedBy(text) !== undefined;
    const start = extended ? this.startAfter(text) : text.lastIndexOf("\n") + 1;
    if (!extended || start !== this.start) this.call = undefined;
    [this.text, this.start] = [text, start];
    const current = text.slice(start);
    if (current.length < TOOL_CALL_OPEN.length) {
      if (!TOOL_CALL_OPEN.startsWith(current)) throw new NotAPrefixError();
      return `${TOOL_CALL_OPEN.slice(current.length)}${this.smallest}${TOOL_CALL_CLOSE}`;
    }
    if (!current.startsWith(TOOL_CALL_OPEN)) throw new NotAPrefixError();
    const body = current.slice(TOOL_CALL_OPEN.length);
    if (body === "") return `${this.smallest}${TOOL_CALL_CLOSE}`;
    const call = (this.call ??= { json: jsonCloser(this.schema), pastJson: false });
    // the body is JSON, possibly followed by part of the closing marker (JSON strings may hold "<": the whole body
    // is read as JSON first, and only if it is none, the JSON before the marker)
    const marker = markerStart(body);
    if (marker !== -1 && call.beforeMarker?.at !== marker) {
      // read before the whole body, which extends it, so neither is read from scratch; a marker already seen in the
      // body before was read then (the body only grows after it), and its closing is kept
      try {
        call.beforeMarker = { at: marker, closing: call.json(body.slice(0, marker)) };
      } catch (error) {
        call.beforeMarker = { at: marker, error };
      }
    }
    if (!call.pastJson) {
      try {
        return `${call.json(body)}${TOOL_CALL_CLOSE}`;
      } catch (error) {
        if (!(error instanceof NotAPrefixError)) throw error;
        call.pastJson = true;
      }
    }
    if (marker === -1) throw new NotAPrefixError();
    const before = call.beforeMarker!;
    if ("error" in before) throw before.error;
    // after a whole call, only the rest of its marker
    if (before.closing !== "") throw new NotAPrefixError();
    return TOOL_CALL_CLOSE.slice(body.length - marker);
  }

  /** Where the call `text` ends in starts, `text` extending the text before: only the appended part is searched. */
  private startAfter(text: string): number {
    let start = this.start;
    for (let i = text.indexOf("\n", this.text.length); i !== -1; i = text.indexOf("\n", i + 1)) start = i + 1;
    return start;
  }
}

/**
 * Where the body's end could begin the closing marker: the last characters are a non-empty prefix of it. The
 * marker's only "<" is its first character, so at most one place qualifies. -1: none.
 */
function markerStart(body: string): number {
  for (let at = body.indexOf("<", Math.max(0, body.length - TOOL_CALL_CLOSE.length)); at !== -1; at = body.indexOf("<", at + 1)) {
    if (TOOL_CALL_CLOSE.startsWith(body.slice(at))) return at;
  }
  return -1;
}
