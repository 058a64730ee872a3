/** A reading of one output's text that carries on from text to text, each extending the one before. */
export interface OutputReading {
  /** The length of the text read last, if `text` extends it (undefined otherwise). */
  extendedBy(text: string): number | undefined;
  /** The closing of `text`, reading only what it adds to the text read last when it extends it. */
  close(text: string): string;
}

/** Outputs one closing function follows at once without reading any from scratch (a request's `n` choices). */
const MAX_READINGS = 16;

/**
 * One closing function for the outputs of a request (its `n` choices share their structured output): a reading is
 * kept per output, up to MAX_READINGS (past that the least recently used one is reused), and each text carries on
 * the reading whose text it extends the furthest, so a text costs what it adds, not its whole length.
 */
export function closerPerOutput(newReading: () => OutputReading): (text: string) => string {
  const readings: OutputReading[] = []; // least recently used first
  return (text) => {
    let best = -1;
    let bestLength = -1;
    readings.forEach((reading, k) => {
      const length = reading.extendedBy(text);
      if (length !== undefined && length > bestLength) [best, bestLength] = [k, length];
    });
    const reading = best !== -1 ? readings.splice(best, 1)[0]! : readings.length < MAX_READINGS ? newReading() : readings.shift()!;
    readings.push(reading);
    return reading.close(text);
  };
}
