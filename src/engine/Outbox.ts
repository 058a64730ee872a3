import type { EventSink } from "./Job.js";
import type { GenerationEvent, TokenLogprob } from "./types.js";

interface Delivery {
  events: EventSink<GenerationEvent>;
  text: string;
  logprobs: TokenLogprob[] | undefined;
}

/** Text sampled in a step, handed to the readers once the next step has been dispatched. */
export class Outbox {
  private pending: Delivery[] = [];
  private scheduled = false;

  push(events: EventSink<GenerationEvent>, text: string, logprobs: TokenLogprob[] | undefined): void {
    this.pending.push({ events, text, logprobs });
  }

  /**
   * Delivers what is pending one event-loop turn after node-llama-cpp dispatches the step just started (it
   * dispatches from setImmediate; this runs from the setImmediate after that), so that turning the previous tokens
   * into SSE chunks and writing them to the sockets overlaps the decode instead of delaying its start. Measured on
   * the tiny model over HTTP: 10–15% more tokens/s than delivering at once.
   */
  flushAfterDispatch(): void {
    if (this.scheduled || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => setImmediate(() => this.flush()));
  }

  /** Delivers what is pending now (a request's text before its end), in the order it was pushed. */
  flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    for (const { events, text, logprobs } of pending) events.push(logprobs ? { type: "text", text, logprobs } : { type: "text", text });
  }
}
