import { describeChoice } from "./describeChoice.js";
import type { AnswerToken } from "./StreamedAnswer.js";

/** Space between a token and its tooltip, and between the tooltip and the window's edge (px). */
const GAP = 6;

/**
 * The tooltip of the answers' tokens: hovering a piece of an answer, or focusing it (the arrow keys step through an
 * answer's pieces once the answer has focus), shows each of its tokens with its probability and the most likely
 * alternatives the model weighed.
 */
export class TokenTip {
  private readonly tokens = new WeakMap<Element, AnswerToken[]>();
  private shownFor: HTMLElement | undefined;

  constructor(
    private readonly tip: HTMLElement,
    log: HTMLElement,
  ) {
    log.addEventListener("mouseover", (event) => this.show(this.pieceAt(event.target)));
    log.addEventListener("mouseout", (event) => {
      if (this.pieceAt(event.relatedTarget) !== this.shownFor) this.hide();
    });
    log.addEventListener("focusin", (event) => this.show(this.pieceAt(event.target)));
    log.addEventListener("focusout", () => this.hide());
    log.addEventListener("keydown", (event) => this.step(event));
  }

  /** Gives `piece` (a span of an answer) the tokens that came with it. */
  attach(piece: HTMLElement, tokens: readonly AnswerToken[]): void {
    this.tokens.set(piece, [...(this.tokens.get(piece) ?? []), ...tokens]);
    piece.classList.add("token");
    piece.tabIndex = -1;
  }

  private pieceAt(target: EventTarget | null): HTMLElement | undefined {
    const piece = target instanceof Element ? target.closest(".token") : null;
    return piece instanceof HTMLElement && this.tokens.has(piece) ? piece : undefined;
  }

  private show(piece: HTMLElement | undefined): void {
    if (!piece || piece === this.shownFor) return;
    this.hide();
    const rows = this.tokens.get(piece)!.flatMap((token) => {
      const chosen = describeChoice(token);
      const heading = document.createElement("p");
      heading.className = "tip-token";
      heading.append(code(chosen.token), ` ${chosen.probability}`);
      const list = document.createElement("ol");
      list.className = "tip-top";
      list.setAttribute("aria-label", "Most likely tokens");
      for (const alternative of token.top) {
        const { token: text, probability } = describeChoice(alternative);
        const item = document.createElement("li");
        const share = document.createElement("span");
        share.textContent = probability;
        item.append(code(text), share);
        list.append(item);
      }
      return [heading, list];
    });
    this.tip.replaceChildren(...rows);
    this.tip.hidden = false;
    piece.setAttribute("aria-describedby", this.tip.id);
    piece.classList.add("token-shown");
    this.shownFor = piece;
    const box = piece.getBoundingClientRect();
    const width = this.tip.offsetWidth;
    const left = Math.max(GAP, Math.min(box.left, document.documentElement.clientWidth - width - GAP));
    this.tip.style.left = `${left + window.scrollX}px`;
    this.tip.style.top = `${box.bottom + GAP + window.scrollY}px`;
  }

  private hide(): void {
    this.tip.hidden = true;
    this.shownFor?.removeAttribute("aria-describedby");
    this.shownFor?.classList.remove("token-shown");
    this.shownFor = undefined;
  }

  /** Arrow keys: from an answer to its first piece, and from a piece to the next or previous one. */
  private step(event: KeyboardEvent): void {
    if (event.key === "Escape") return this.hide();
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const target = event.target as HTMLElement;
    const pieces = [...(target.closest(".answer") ?? target).querySelectorAll<HTMLElement>(".token")];
    if (pieces.length === 0) return;
    const at = pieces.indexOf(target);
    const next = at === -1 ? 0 : Math.min(pieces.length - 1, Math.max(0, at + (event.key === "ArrowRight" ? 1 : -1)));
    event.preventDefault();
    pieces[next]!.focus();
  }
}

function code(text: string): HTMLElement {
  const element = document.createElement("code");
  element.textContent = text;
  return element;
}
