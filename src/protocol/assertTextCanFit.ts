import { ApiError } from "../errors/ApiError.js";

/**
 * Refuses, without tokenizing it, a text that cannot fit a context of `contextSize` tokens whatever its
 * tokenization: more characters than `contextSize` tokens of at most `longestTokenChars` characters each can hold.
 * Tokenizing runs on the event loop (about 1 s per MiB), so a text past this bound would stall every other request
 * only to be refused; within it, tokenizing takes milliseconds.
 */
export function assertTextCanFit(text: string, contextSize: number, longestTokenChars: number, param: string): void {
  const maxChars = contextSize * longestTokenChars;
  if (text.length <= maxChars) return;
  throw new ApiError(
    400,
    `This model's maximum context length is ${contextSize} tokens, which hold at most ${maxChars} characters. ` +
      `However, '${param}' has ${text.length} characters. Please reduce its length.`,
    "invalid_request_error",
    "context_length_exceeded",
    param,
  );
}
