import { EventChannel } from "./EventChannel.js";
import type { EventSink } from "./Job.js";
import type { GenerationEvent, IndexedEvent } from "./types.js";

/**
 * The one channel of a request's generations: each pushes its events tagged with its index; the channel ends when
 * every generation has, or with the first failure, which also aborts `controller` so the request's other
 * generations stop (in the queue at once, running at the next step).
 */
export class RequestEvents {
  readonly channel = new EventChannel<IndexedEvent>();
  private open: number;

  constructor(
    count: number,
    private readonly controller: AbortController,
  ) {
    this.open = count;
  }

  /** The sink of generation `index`. */
  sink(index: number): EventSink<GenerationEvent> {
    return {
      push: (event) => this.channel.push({ ...event, index }),
      close: () => {
        if (--this.open === 0) this.channel.close();
      },
      fail: (error) => {
        this.channel.fail(error);
        this.controller.abort(error);
      },
      backlog: () => this.channel.backlog,
    };
  }
}
