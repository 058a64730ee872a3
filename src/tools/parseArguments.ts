/** A call's arguments as the JSON value they hold (as they were sent, when they are not JSON). */
export function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
