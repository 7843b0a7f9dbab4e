import { describe, expect, it } from 'vitest';
import { safetensorsReader } from '../../../main/engine/formats/safetensors';
import { statsOf, tensorStats, type TensorStats } from '../../../main/engine/tensor/stats';
import { fromFloat32 } from '../../../main/engine/tensor/dtypes';
import { expected, fixture, type ExpectedStats } from './format-fixtures';

function expectStats(actual: TensorStats, want: ExpectedStats, tol: number): void {
  expect(actual.count).toBe(want.count);
  expect(actual.zeros).toBe(want.zeros);
  expect(actual.nan).toBe(want.nan);
  expect(actual.inf).toBe(want.inf);
  expect(actual.min).toBe(Math.fround(want.min));
  expect(actual.max).toBe(Math.fround(want.max));
  expect(Math.abs(actual.mean! - want.mean)).toBeLessThan(tol);
  expect(Math.abs(actual.std! - want.std)).toBeLessThan(tol);
}

describe('tensor stats', () => {
  it('match what PyTorch computed for every tensor of a real model', async () => {
    const s = await safetensorsReader.open(fixture('tiny_cnn_b.safetensors'));
    try {
      for (const t of s.tensors) expectStats(await statsOf(t), expected.b.stats[t.name], 1e-6);
    } finally {
      await s.close();
    }
  });

  it('load NaN/Inf values and flag them, in f32 and f16, with stats over the finite values', async () => {
    const s = await safetensorsReader.open(fixture('nan_inf.safetensors'));
    try {
      for (const t of s.tensors) {
        const st = await statsOf(t);
        expectStats(st, expected.nan_inf[t.name], 1e-6);
        expect(st.nan).toBe(2);
        expect(st.inf).toBe(2);
      }
    } finally {
      await s.close();
    }
  });

  it('stay accurate across chunks of a large tensor (against an f64 reference computed here)', () => {
    const n = 300_000;
    const values = new Float32Array(n);
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      values[i] = 1000 + (seed / 2 ** 32) * 0.01; // big offset, tiny spread: naive sum-of-squares fails here
    }
    let mean = 0;
    for (const v of values) mean += v;
    mean /= n;
    let m2 = 0;
    for (const v of values) m2 += (v - mean) ** 2;
    const st = tensorStats(new Uint8Array(values.buffer), 'f32');
    expect(st.count).toBe(n);
    expect(Math.abs(st.mean! - mean)).toBeLessThan(1e-9);
    expect(Math.abs(st.std! - Math.sqrt(m2 / n)) / Math.sqrt(m2 / n)).toBeLessThan(1e-6);
  });

  it('reads bf16 and integer bytes, and gives nulls for an empty or all-NaN tensor', () => {
    const bf = tensorStats(fromFloat32(Float32Array.from([1, -2, 0, 4]), 'bf16'), 'bf16');
    expect([bf.min, bf.max, bf.mean, bf.zeros]).toEqual([-2, 4, 0.75, 1]);
    const ints = tensorStats(new Uint8Array(BigInt64Array.from([-3n, 0n, 9n]).buffer), 'i64');
    expect([ints.min, ints.max, ints.mean, ints.zeros]).toEqual([-3, 9, 2, 1]);
    expect(tensorStats(new Uint8Array(0), 'f32')).toMatchObject({ count: 0, min: null, mean: null, std: null });
    expect(tensorStats(new Uint8Array(Float32Array.from([NaN, NaN]).buffer), 'f32')).toMatchObject({ count: 2, nan: 2, min: null });
  });
});
