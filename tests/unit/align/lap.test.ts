// The LAP solver against brute force on every small size, and against the npm `munkres` package (an independent
// Hungarian implementation) on sizes where the sparse candidate searches and their verification do the work:
// both senses, ties, negative entries, low-rank similarity matrices, and few candidates (forcing repair rounds
// and the dense fallback).
import { munkres } from 'munkres';
import { describe, expect, it } from 'vitest';
import { assignmentValue, LapSession, linearAssignment } from '../../../main/engine/align';
import { Rng } from '../../../main/engine/models';

function brute(m: Float64Array, n: number, maximize: boolean): number {
  const p = Array.from({ length: n }, (_, i) => i);
  let best = maximize ? -Infinity : Infinity;
  const walk = (k: number) => {
    if (k === n) { const s = assignmentValue(m, n, p); best = maximize ? Math.max(best, s) : Math.min(best, s); return; }
    for (let i = k; i < n; i++) { [p[k], p[i]] = [p[i], p[k]]; walk(k + 1); [p[k], p[i]] = [p[i], p[k]]; }
  };
  walk(0);
  return best;
}

/** munkres' optimum (it minimises): the peer total. */
function peer(m: ArrayLike<number>, n: number, maximize: boolean): number {
  const rows = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (maximize ? -1 : 1) * m[i * n + j]));
  let s = 0;
  for (const [i, j] of munkres(rows)) s += m[i * n + j];
  return s;
}

const isPermutation = (col: Int32Array) => [...col].sort((a, b) => a - b).every((v, i) => v === i);

describe('linear assignment', () => {
  it('finds the optimum brute force finds, n = 1…7, maximising and minimising, with any number of candidates', () => {
    const rng = new Rng(5);
    for (let n = 1; n <= 7; n++) {
      for (let t = 0; t < 15; t++) {
        // integers in a small range make ties common
        const m = Float64Array.from({ length: n * n }, () => (t % 3 === 0 ? rng.int(4) : rng.uniform(-3, 3)));
        for (const maximize of [true, false]) {
          const best = brute(m, n, maximize);
          for (const candidates of [1, 2, 32]) {
            const r = linearAssignment(m, n, { maximize, candidates });
            expect(isPermutation(r.col)).toBe(true);
            expect(r.total).toBeCloseTo(best, 9);
          }
        }
      }
    }
  });

  it('agrees with munkres on n = 40…300 across kinds of matrix, candidates 2, 8 and the default', () => {
    const rng = new Rng(17);
    const kinds: Record<string, (n: number) => Float64Array> = {
      uniform: (n) => Float64Array.from({ length: n * n }, () => rng.uniform(-1, 1)),
      ties: (n) => Float64Array.from({ length: n * n }, () => rng.int(3)),
      constant: (n) => new Float64Array(n * n).fill(2.5),
      planted: (n) => { const p = rng.permutation(n), m = Float64Array.from({ length: n * n }, () => rng.normal()); for (let i = 0; i < n; i++) m[i * n + p[i]] += 3; return m; },
      // what weight matching meets: W_A · W_Bᵀ of two weight matrices
      similarity: (n) => {
        const d = 24, a = Float64Array.from({ length: n * d }, () => rng.normal()), b = Float64Array.from({ length: n * d }, () => rng.normal());
        const m = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t]; m[i * n + j] = s; }
        return m;
      },
      // a few rows that all prefer the same columns: the sparse graph has no perfect matching on its own
      crowded: (n) => Float64Array.from({ length: n * n }, (_, q) => ((q % n) < 4 ? 10 : 0) + rng.uniform(0, 1)),
    };
    for (const n of [40, 97, 300]) {
      for (const [kind, make] of Object.entries(kinds)) {
        const m = make(n);
        for (const maximize of [true, false]) {
          const want = peer(m, n, maximize);
          for (const candidates of [2, 8, undefined]) {
            const r = linearAssignment(m, n, { maximize, candidates });
            expect(isPermutation(r.col), `${kind} n=${n}`).toBe(true);
            expect(Math.abs(r.total - want), `${kind} n=${n} maximize=${maximize} candidates=${candidates}`).toBeLessThan(1e-9 * (1 + Math.abs(want)));
          }
        }
      }
    }
  });

  it('a session warm-starts each solve from the last and still finds each optimum (small and large changes, a bad matrix between)', () => {
    const rng = new Rng(23), n = 120;
    for (const candidates of [3, undefined]) {
      const session = new LapSession(n, { candidates });
      let m = Float64Array.from({ length: n * n }, () => rng.normal());
      for (let step = 0; step < 12; step++) {
        // mostly small perturbations (weight matching's case), now and then a new matrix or a swap of rows
        if (step % 5 === 4) m = Float64Array.from({ length: n * n }, () => rng.uniform(-2, 2));
        else if (step % 5 === 2) { const a = m.slice(0, n); m.copyWithin(0, n * 7, n * 8); m.set(a, n * 7); }
        else m = m.map((x) => x + 0.05 * rng.normal());
        const r = session.solve(m);
        expect(isPermutation(r.col)).toBe(true);
        expect(Math.abs(r.total - peer(m, n, true)), `step ${step}`).toBeLessThan(1e-9 * (1 + Math.abs(r.total)));
        if (step === 6) {
          const bad = m.slice(); bad[5 * n + 3] = NaN;
          expect(() => session.solve(bad)).toThrow(/NaN \(row 5, column 3\)/);
        }
      }
      expect(() => session.solve(new Float64Array(4))).toThrow(/120×120/);
    }
  });

  it('recovers a hidden permutation and refuses NaN, infinities or a wrong size', () => {
    const n = 64, rng = new Rng(9), p = rng.permutation(n);
    const m = new Float32Array(n * n).map(() => rng.uniform(0, 0.5));
    for (let i = 0; i < n; i++) m[i * n + p[i]] = 1;
    expect([...linearAssignment(m, n).col]).toEqual([...p]);
    expect(() => linearAssignment([1, NaN, 0, 1], 2)).toThrow(/NaN \(row 0, column 1\)/);
    expect(() => linearAssignment([1, 0, -Infinity, 1], 2)).toThrow(/infinite entry \(row 1, column 0\)/);
    expect(() => linearAssignment([1, 2, 3], 2)).toThrow(/2×2/);
    expect(() => linearAssignment([1], 1, { candidates: 0 })).toThrow(/candidates/);
    expect(linearAssignment([], 0).col.length).toBe(0);
  });
});
