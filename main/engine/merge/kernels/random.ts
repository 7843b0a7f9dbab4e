// Seeded randomness for DARE/DELLA drops: one generator per tensor, seeded from the recipe seed and the
// tensor's name, so the same seed gives the same bytes whatever order tensors are merged in.

/** 32-bit FNV-1a of a string, mixed with a seed. */
export function tensorSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  h = Math.imul(h ^ ((seed / 0x100000000) >>> 0), 0x01000193) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Mulberry32 (shared with model init): good enough for Bernoulli drops; floats in [0, 1). */
export { mulberry32 } from '../../random';
