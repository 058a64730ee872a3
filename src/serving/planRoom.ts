/** A loaded model as the room planner sees it. */
export interface Resident {
  id: string;
  /** Its estimated memory (what unloading it gives back). */
  memoryBytes: number;
  /** When a request last used it (any clock; larger is later). */
  lastUsed: number;
  /** Whether a request is using it now: a busy model is never unloaded to make room. */
  busy: boolean;
}

/**
 * What a load needs done first: the models to unload (least recently used first), or why it cannot be done now —
 * `memory` when it would not fit even with every other model unloaded, `busy` when it would, but only by unloading
 * models that requests are using.
 */
export type RoomPlan = { evict: string[] } | { refuse: "memory" | "busy" };

/**
 * Makes room for a model of `needBytes` among `residents`: at most `maxLoaded` models loaded afterwards, and its
 * memory within `availableBytes` plus what the unloaded ones give back. Unloads idle models, least recently used
 * first, and only as many as needed; all or nothing, so a refused load unloads nothing.
 */
export function planRoom(residents: readonly Resident[], needBytes: number, availableBytes: number, maxLoaded: number): RoomPlan {
  const idle = residents.filter((r) => !r.busy).sort((a, b) => a.lastUsed - b.lastUsed);
  const evict: string[] = [];
  let freed = 0;
  while (residents.length - evict.length >= maxLoaded || availableBytes + freed < needBytes) {
    const next = idle.shift();
    if (!next) {
      const everything = availableBytes + residents.reduce((sum, r) => sum + r.memoryBytes, 0);
      return { refuse: everything < needBytes ? "memory" : "busy" };
    }
    evict.push(next.id);
    freed += next.memoryBytes;
  }
  return { evict };
}
