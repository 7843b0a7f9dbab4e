import { describe, expect, it } from 'vitest';
import { f32ToBf16Bits, f32ToF16Bits, fromFloat32, toFloat32 } from '../../../main/engine/tensor/dtypes';

describe('dtype conversions', () => {
  it('reads an unaligned Node Buffer view at its own offset', () => {
    const values = new Float32Array([1.5, -2, 3.25]);
    const backing = Buffer.alloc(1 + values.byteLength);
    Buffer.from(values.buffer).copy(backing, 1);
    const view = backing.subarray(1); // byteOffset 1: not 4-aligned
    expect(Array.from(toFloat32(view, 'f32'))).toEqual([1.5, -2, 3.25]);
  });

  it('rounds f32 to f16 and bf16 to nearest even, and back', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(1e6)).toBe(0x7c00);
    expect(f32ToF16Bits(5.960464477539063e-8)).toBe(0x0001); // smallest subnormal
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    const v = new Float32Array([0.1, -3.5, 1024.75, 0]);
    for (const d of ['f16', 'bf16'] as const) {
      const back = toFloat32(fromFloat32(v, d), d);
      for (let i = 0; i < v.length; i++) expect(Math.abs(back[i] - v[i])).toBeLessThanOrEqual(Math.abs(v[i]) * (d === 'f16' ? 1e-3 : 8e-3));
    }
    expect(Number.isNaN(toFloat32(fromFloat32(new Float32Array([NaN]), 'bf16'), 'bf16')[0])).toBe(true);
  });

  it('widens integers and bools', () => {
    expect(Array.from(toFloat32(new Uint8Array(new BigInt64Array([3n, -4n]).buffer), 'i64'))).toEqual([3, -4]);
    expect(Array.from(toFloat32(new Uint8Array([1, 0, 1]), 'bool'))).toEqual([1, 0, 1]);
  });
});
