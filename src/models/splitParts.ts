const splitPattern = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The part number and count of a split GGUF's file (`model-00002-of-00003.gguf` → 2 of 3), or undefined. */
export function splitPartOf(fileName: string): { part: number; parts: number; stem: string } | undefined {
  const match = splitPattern.exec(fileName);
  if (!match) return undefined;
  const part = Number(match[1]);
  const parts = Number(match[2]);
  if (part < 1 || part > parts) return undefined;
  return { part, parts, stem: fileName.slice(0, match.index) };
}

/** Every part's name (or path) of the split GGUF `fileName` belongs to, in order (just `fileName` when it is not split). */
export function splitPartNames(fileName: string): string[] {
  const split = splitPartOf(fileName);
  if (!split) return [fileName];
  const pad = (n: number): string => String(n).padStart(5, "0");
  return Array.from({ length: split.parts }, (_, i) => `${split.stem}-${pad(i + 1)}-of-${pad(split.parts)}.gguf`);
}
