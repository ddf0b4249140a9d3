/**
 * Seeded randomness. Every random choice in the pipeline (splits, shuffles,
 * noise masks) comes from an Rng created from the run's seed, never from
 * Math.random, so the same seed always gives the same numbers.
 */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** A 32-bit integer, for seeding tfjs initialisers and child generators. */
  uint32(): number;
  /** Fill `out` with the next out.length draws of uint32() (as int32 bits): bulk noise without a call per value. */
  fillInt32(out: Int32Array): void;
}

/** sfc32 seeded through splitmix32: small, fast, and well distributed for simulation use. */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  // State held as signed int32 (`| 0`): the same bits as unsigned, but V8 keeps them in registers
  // instead of boxing values ≥ 2^31, which makes each draw about twice as fast (masking noise draws
  // one per pixel). Only the returned value is converted to unsigned.
  let a = splitmix() | 0, b = splitmix() | 0, c = splitmix() | 0, d = splitmix() | 0;
  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) uint32();
  // uint32() unrolled over an array, its state in locals for the length of the loop.
  const fillInt32 = (out: Int32Array): void => {
    let A = a, B = b, C = c, D = d;
    for (let i = 0; i < out.length; i++) {
      const t = (((A + B) | 0) + D) | 0;
      D = (D + 1) | 0;
      A = B ^ (B >>> 9);
      B = (C + (C << 3)) | 0;
      C = (C << 21) | (C >>> 11);
      C = (C + t) | 0;
      out[i] = t;
    }
    a = A; b = B; c = C; d = D;
  };
  return {
    uint32,
    fillInt32,
    next: () => uint32() / 4294967296,
    int: (n: number) => Math.floor((uint32() / 4294967296) * n),
  };
}

/** Fisher–Yates shuffle in place, driven by rng. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/** Derive an independent seed for a named purpose, so adding a new consumer does not shift others' streams. */
export function deriveSeed(seed: number, purpose: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < purpose.length; i++) {
    h ^= purpose.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return createRng(h).uint32();
}
