/** A small seedable generator (mulberry32), so sample data and decisions are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks an item with probability proportional to its weight. */
export function weightedPick<T extends { readonly weight: number }>(items: readonly T[], random: () => number): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let roll = random() * total;
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item;
  }
  return items[items.length - 1];
}

/** A uniform integer in [min, max]. */
export function intBetween(min: number, max: number, random: () => number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * The random source of one event's decisions: seeded by the event id (FNV-1a of its characters)
 * and `seed`, so every writer, both broker paths and every redelivery or retry of the same event
 * draw the same numbers and decide the same. A per-process generator would let two writers
 * declare different winners for the same event.
 */
export function eventRandom(eventId: string, seed = 0): () => number {
  // Hashed on the first draw only: most scenarios route without drawing.
  let draw: (() => number) | undefined;
  return () => {
    if (!draw) {
      let hash = 0x811c9dc5 ^ (seed >>> 0);
      for (let i = 0; i < eventId.length; i++) hash = Math.imul(hash ^ eventId.charCodeAt(i), 0x01000193);
      draw = seededRandom(hash);
    }
    return draw();
  };
}
