// A small seeded RNG (mulberry32) — same seed, same numbers on every machine; used for init,
// shuffles and dropout masks.
import { mulberry32 } from '../random';

export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32((seed >>> 0) ^ 0x9e3779b9); }

  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next(), v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** A permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) { const j = this.int(i + 1); const t = p[i]; p[i] = p[j]; p[j] = t; }
    return p;
  }

  /** Derive an independent stream (per epoch, per purpose). */
  fork(salt: number): Rng { return new Rng(Math.floor(this.next() * 4294967296) ^ Math.imul(salt + 1, 0x85ebca6b)); }
}
