// The one seeded pseudo-random generator: the mock's faults and latency and the report's paired bootstrap draw
// from it, so a fault pattern or a confidence interval is the same on every run with the same seed.

/**
 * mulberry32: a small, fast, seedable generator returning floats in [0, 1). Reproducibility is what is needed,
 * not cryptographic quality (Math.random would make fault patterns and bootstrap intervals unrepeatable).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
