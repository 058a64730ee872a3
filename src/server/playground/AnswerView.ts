import type { AnswerPiece } from "./StreamedAnswer.js";
import type { TokenTip } from "./TokenTip.js";
import { element } from "./element.js";

/** How the answer ended, for its last line. */
export interface AnswerEnd {
  /** The figures measured ("42 tokens · 61.5 tokens/s · first token 130 ms"). */
  summary: string;
  /** Why it ended: the finish reason, or "stopped". */
  reason: string | undefined;
  error: string | undefined;
}

/**
 * One answer in the conversation's log, written as its pieces stream in (each a span, carrying the tokens that came
 * with it for the tooltip); busy for assistive technologies until it ends, so that it is read once, whole.
 */
export class AnswerView {
  private readonly root: HTMLElement;
  private readonly text: HTMLElement;
  private readonly footer: HTMLElement;
  private last: HTMLElement | undefined;

  constructor(
    private readonly log: HTMLElement,
    model: string,
    private readonly tip: TokenTip,
  ) {
    this.root = element("div", "message assistant");
    this.root.setAttribute("aria-busy", "true");
    this.text = element("div", "answer");
    this.footer = element("p", "stats");
    this.root.append(element("p", "who", model), this.text, this.footer);
    log.append(this.root);
    this.scroll(true);
  }

  append(piece: AnswerPiece): void {
    const following = this.atBottom();
    // tokens held back until an empty delta (the finish chunk's) belong with the text before them
    if (piece.text === "" && this.last) {
      this.tip.attach(this.last, piece.tokens);
      return;
    }
    const span = document.createElement("span");
    span.textContent = piece.text;
    if (piece.tokens.length > 0) this.tip.attach(span, piece.tokens);
    this.text.append(span);
    this.last = span;
    this.scroll(following);
  }

  finish(end: AnswerEnd): void {
    this.root.setAttribute("aria-busy", "false");
    this.footer.textContent = [end.summary, end.reason].filter((part) => part !== undefined).join(" · ");
    if (end.error !== undefined) this.root.append(element("p", "error", end.error));
    // the keyboard's way to the tokens' probabilities: focus the answer, then the arrow keys
    if (this.text.querySelector(".token")) {
      this.text.tabIndex = 0;
      this.text.setAttribute("aria-describedby", "prompt-help");
    }
  }

  /** Keeps the newest text in view, unless the reader has scrolled up to read something older. */
  private scroll(follow: boolean): void {
    if (follow) this.log.scrollTop = this.log.scrollHeight;
  }

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
  }
}
