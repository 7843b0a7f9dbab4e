// The LAP solver against brute force on every small size, both senses, ties and negative entries.
import { describe, expect, it } from 'vitest';
import { assignmentValue, linearAssignment } from '../../../main/engine/align';
import { Rng } from '../../../main/engine/models';
import { linearAssignment as candidate } from '../../../bench/lap-jv';

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

describe('linear assignment', () => {
  it('finds the optimum brute force finds, n = 1…7, maximising and minimising', () => {
    const rng = new Rng(5);
    for (let n = 1; n <= 7; n++) {
      for (let t = 0; t < 15; t++) {
        // integers in a small range make ties common
        const m = Float64Array.from({ length: n * n }, () => (t % 3 === 0 ? rng.int(4) : rng.uniform(-3, 3)));
        for (const maximize of [true, false]) {
          const r = linearAssignment(m, n, { maximize });
          expect([...r.col].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(r.total).toBeCloseTo(brute(m, n, maximize), 9);
          if (maximize) expect(candidate(m, n).total).toBeCloseTo(r.total, 9); // the measured candidate agrees
        }
      }
    }
  });

  it('recovers a hidden permutation and refuses NaN or a wrong size', () => {
    const n = 64, rng = new Rng(9), p = rng.permutation(n);
    const m = new Float32Array(n * n).map(() => rng.uniform(0, 0.5));
    for (let i = 0; i < n; i++) m[i * n + p[i]] = 1;
    expect([...linearAssignment(m, n).col]).toEqual([...p]);
    expect(() => linearAssignment([1, NaN, 0, 1], 2)).toThrow(/NaN/);
    expect(() => linearAssignment([1, 2, 3], 2)).toThrow(/2×2/);
  });
});
