import { fillerText } from "./fillerText.js";

/** Text of about `tokens` tokens for the model `tokenizer` belongs to (filler grown until it says so), different per `seed`. */
export function textOfTokens(tokenizer: { countTokens(text: string): number }, tokens: number, seed: number): string {
  let words = Math.floor(tokens / 2);
  let text = `Session ${seed}. ${fillerText(words, seed)}`;
  while (tokenizer.countTokens(text) < tokens) text = `Session ${seed}. ${fillerText(++words, seed)}`;
  return text;
}
