import type { TokenChoice } from "./StreamedAnswer.js";

/**
 * A token as the tooltip shows it: its text quoted with its whitespace and control characters escaped (a space or
 * a newline token would show as nothing), and its probability as a percentage.
 */
export function describeChoice(choice: TokenChoice): { token: string; probability: string } {
  const percent = Math.exp(choice.logprob) * 100;
  const probability = percent >= 0.1 ? `${percent.toFixed(1)}%` : percent >= 0.001 ? `${percent.toFixed(3)}%` : "<0.001%";
  return { token: JSON.stringify(choice.token), probability };
}
