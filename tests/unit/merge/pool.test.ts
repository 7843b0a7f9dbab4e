// The worker-thread linear combination gives the same bytes as the main-thread loop, for every arity,
// and never detaches a buffer it does not own outright.
import { describe, expect, it } from 'vitest';
import { linearCombination } from '../../../main/engine/merge/kernels/linear';
import { linearPool } from '../../../main/engine/merge/kernels/pool';
import { values } from './model-files';

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('linearPool', () => {
  it('matches linearCombination bit for bit for 1 to 6 inputs', async () => {
    for (let k = 1; k <= 6; k++) {
      const xs = Array.from({ length: k }, (_, m) => values(5000, 31 * k + m));
      const coefs = Array.from({ length: k }, (_, m) => (m % 2 ? -0.3 : 1.7) / k);
      const want = linearCombination(xs, coefs);
      const got = await linearPool().combine(xs.map((x) => x.slice()), coefs);
      expect(same(got, want), `${k} inputs`).toBe(true);
    }
  });

  it('runs jobs concurrently and copies views into larger buffers instead of detaching them', async () => {
    const big = values(30000, 5);
    const views = [big.subarray(0, 10000), big.subarray(10000, 20000), big.subarray(20000, 30000)];
    const results = await Promise.all([0, 1, 2].map((s) => linearPool().combine(views, [s, 1, 2])));
    expect(big.length).toBe(30000); // still attached
    results.forEach((r, s) => expect(same(r, linearCombination(views, [s, 1, 2]))).toBe(true));
  });
});
