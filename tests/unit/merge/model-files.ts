// Test helper: writes small real model files with the app's own writers (safetensors / .pt) from plain
// values, and temporary folders that are removed when the test file ends.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import type { ModelSource } from '../../../main/engine/formats/types';
import { fromFloat32, isFloatDType, toFloat32, type DType } from '../../../main/engine/tensor/dtypes';

export interface TensorData {
  name: string;
  dtype: DType;
  shape: number[];
  values: ArrayLike<number>;
}

export function bytesOf(t: TensorData): Uint8Array {
  if (isFloatDType(t.dtype)) return fromFloat32(Float32Array.from(t.values), t.dtype).slice();
  if (t.dtype === 'i64') return new Uint8Array(BigInt64Array.from(Array.from(t.values, (v) => BigInt(v))).buffer);
  if (t.dtype === 'i32') return new Uint8Array(Int32Array.from(t.values).buffer);
  throw new Error(`helper cannot write ${t.dtype}`);
}

export async function writeModel(file: string, tensors: TensorData[], tied: string[][] = []): Promise<void> {
  const session = await writerFor(file).begin(file, tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })), { tied });
  const aliases = new Set(tied.flatMap((g) => g.slice(1)));
  for (const t of tensors) if (!aliases.has(t.name)) await session.writeTensor(t.name, bytesOf(t));
  await session.finish();
}

/** Every tensor of a file as f32 values, by name, plus the opened source's metadata and tied groups. */
export async function readModel(file: string): Promise<{ source: ModelSource; values: Map<string, Float32Array>; dtypes: Map<string, DType> }> {
  const source = await openModel(file);
  const values = new Map<string, Float32Array>();
  const dtypes = new Map<string, DType>();
  for (const t of source.tensors) {
    values.set(t.name, toFloat32(await t.read(), t.dtype));
    dtypes.set(t.name, t.dtype);
  }
  await source.close();
  return { source, values, dtypes };
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** A SmallCNN-like state dict: convs, a BatchNorm with its integer counter, a classifier. */
export function smallNet(seed: number, dtype: DType = 'f32', classes = 10): TensorData[] {
  const t = (name: string, shape: number[], k: number): TensorData => ({ name, dtype, shape, values: values(shape.reduce((a, b) => a * b, 1), seed * 100 + k) });
  return [
    t('features.0.weight', [4, 1, 3, 3], 1),
    t('features.0.bias', [4], 2),
    t('features.1.weight', [4], 3),
    t('features.1.bias', [4], 4),
    { name: 'features.1.num_batches_tracked', dtype: 'i64', shape: [], values: [100 + seed] },
    t('features.3.weight', [8, 4, 3, 3], 5),
    t('features.3.bias', [8], 6),
    t('classifier.1.weight', [classes, 8], 7),
    t('classifier.1.bias', [classes], 8),
  ];
}

const made: string[] = [];
afterAll(() => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A fresh folder under the OS temp dir, removed after the test file's tests. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), `ms-${prefix}-`));
  made.push(d);
  return d;
}
