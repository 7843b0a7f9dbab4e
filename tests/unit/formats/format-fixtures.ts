// Shared by the format tests: fixture paths, what PyTorch computed for them, and temp folders.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '../../fixtures/formats');
export const fixture = (name: string): string => path.join(FIXTURES, name);

export interface ExpectedTensor { shape: number[]; values: number[] }
export interface ExpectedStats { min: number; max: number; mean: number; std: number; zeros: number; nan: number; inf: number; count: number }
export interface Expected {
  input: ExpectedTensor;
  a: { output: number[]; tensors: Record<string, ExpectedTensor> };
  b: { output: number[]; tensors: Record<string, ExpectedTensor>; stats: Record<string, ExpectedStats> };
  tied: Record<string, ExpectedTensor>;
  mixed: Record<string, ExpectedTensor>;
  nan_inf: Record<string, ExpectedStats>;
  typed: { c: number[]; h: number[]; shape: number[]; x: number[]; y: number[] };
}

/** Values PyTorch / numpy computed when the fixtures were made (scripts/fixtures/make_format_fixtures.py). */
export const expected: Expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8'), (_key, v) =>
  v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v); // JSON has no non-finite numbers

export function tempDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-formats-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A safetensors file from a header object and data bytes, for building broken files on purpose. */
export function safetensorsBytes(header: unknown, data: Uint8Array, rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

export const f32 = (values: number[]): number[] => values.map((v) => Math.fround(v));
