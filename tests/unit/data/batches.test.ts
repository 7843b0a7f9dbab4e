import { describe, expect, it } from 'vitest';
import { batchCount, batches, epochOrder, gather, loadDataset, permutation, Rng } from '../../../main/engine/data';

describe('seeded randomness', () => {
  it('repeats exactly for a seed and differs across seeds', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('draws integers uniformly (chi-square over 10 bins) and floats in [0, 1)', () => {
    const r = new Rng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[r.int(10)]++;
    const chi2 = counts.reduce((s, c) => s + (c - 2000) ** 2 / 2000, 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
    for (let i = 0; i < 1000; i++) { const f = r.float(); expect(f >= 0 && f < 1).toBe(true); }
    let s = 0, s2 = 0;
    for (let i = 0; i < 20000; i++) { const z = r.normal(); s += z; s2 += z * z; }
    expect(Math.abs(s / 20000)).toBeLessThan(0.05);
    expect(Math.abs(s2 / 20000 - 1)).toBeLessThan(0.05);
  });

  it('permutations are permutations', () => {
    const p = permutation(1000, 3);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe('batches', () => {
  it('covers every example once per epoch, with rows and labels copied from the dataset', async () => {
    const d = await loadDataset('mnist:test');
    const seen = new Int32Array(d.size);
    let count = 0;
    for (const b of batches(d, 128, 5, 0)) {
      count++;
      expect(b.inputs.length).toBe(b.size * 784);
      for (let i = 0; i < b.size; i++) {
        const s = b.indices[i];
        seen[s]++;
        expect(b.labels[i]).toBe(d.labels[s]);
        if (i === 0) expect(Array.from(b.inputs.subarray(0, 784))).toEqual(Array.from(d.inputs.subarray(s * 784, (s + 1) * 784)));
      }
    }
    expect(count).toBe(batchCount(2000, 128));
    expect(count).toBe(16);
    expect(seen.every((v) => v === 1)).toBe(true);
  });

  it('is the same for the same seed and epoch, and different across epochs and seeds', async () => {
    const d = await loadDataset('mnist:test');
    const first = (seed: number, epoch: number) => batches(d, 64, seed, epoch).next().value!;
    expect(Array.from(first(1, 0).indices)).toEqual(Array.from(first(1, 0).indices));
    expect(Array.from(first(1, 0).labels)).toEqual(Array.from(first(1, 0).labels));
    expect(Array.from(first(1, 1).indices)).not.toEqual(Array.from(first(1, 0).indices));
    expect(Array.from(first(2, 0).indices)).not.toEqual(Array.from(first(1, 0).indices));
    expect(Array.from(epochOrder(2000, 1, 3))).toEqual(Array.from(epochOrder(2000, 1, 3)));
  });

  it('keeps or drops the short last batch, and keeps dataset order without shuffle', async () => {
    const d = await loadDataset('mnist:test');
    const sizes = [...batches(d, 300, 0, 0)].map((b) => b.size);
    expect(sizes).toEqual([300, 300, 300, 300, 300, 300, 200]);
    expect([...batches(d, 300, 0, 0, { dropLast: true })].map((b) => b.size)).toEqual([300, 300, 300, 300, 300, 300]);
    const ordered = batches(d, 10, 0, 0, { shuffle: false }).next().value!;
    expect(Array.from(ordered.indices)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => batches(d, 0, 0, 0).next()).toThrow(/positive integer/);
    expect(() => gather(d, [2000])).toThrow(/outside/);
  });
});
