// Byte flips and truncations of real fixtures, with a fixed seed: every case must open or be refused
// with a ModelFileError — never crash, hang, or allocate without bound.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { openModel } from '../../../main/engine/formats/registry';
import { ModelFileError } from '../../../main/engine/formats/types';
import { tensorStats } from '../../../main/engine/tensor/stats';
import { fixture, tempDir } from './format-fixtures';
import { mulberry32 } from '../../../main/engine/random';

const tmp = tempDir();
afterAll(() => tmp.remove());

const SOURCES = ['tiny_cnn_b.safetensors', 'mixed_dtypes.safetensors', 'tiny_cnn.onnx', 'typed_fields.onnx', 'tiny_cnn_b.pt'];
const CASES_PER_SOURCE = 80;
const CASE_TIMEOUT_MS = 5000;

function mutate(original: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  let bytes = original.slice();
  const mode = int(4);
  if (mode === 0 || mode === 3) {
    // flips anywhere, biased towards the headers where lengths and offsets live
    const flips = 1 + int(6);
    for (let i = 0; i < flips; i++) {
      const at = rand() < 0.6 ? int(Math.min(256, bytes.length)) : int(bytes.length);
      bytes[at] = rand() < 0.5 ? bytes[at] ^ (1 << int(8)) : int(256);
    }
  }
  if (mode === 1 || mode === 3) bytes = bytes.subarray(0, int(bytes.length));
  if (mode === 2) {
    const at = int(bytes.length);
    bytes.fill(0xff, at, at + 1 + int(8)); // huge varints / lengths
  }
  return bytes;
}

async function openAndReadAll(file: string): Promise<'opened' | 'refused'> {
  let source;
  try {
    source = await openModel(file);
  } catch (e) {
    if (!(e instanceof ModelFileError)) throw new Error(`openModel threw a non-ModelFileError: ${(e as Error)?.stack ?? e}`);
    return 'refused';
  }
  try {
    for (const t of source.tensors) {
      try {
        tensorStats(await t.read(), t.dtype);
      } catch (e) {
        if (!(e instanceof Error)) throw new Error(`read() threw a non-Error: ${String(e)}`);
      }
    }
  } finally {
    await source.close();
  }
  return 'opened';
}

describe('fuzzed model files', () => {
  it(`${SOURCES.length * CASES_PER_SOURCE} mutated fixtures each open or are refused cleanly`, async () => {
    const rand = mulberry32(20261122);
    const outcomes = { opened: 0, refused: 0 };
    let peakRss = 0;
    for (const name of SOURCES) {
      const original = new Uint8Array(readFileSync(fixture(name)));
      const file = tmp.file(`fuzz-${name}`);
      for (let i = 0; i < CASES_PER_SOURCE; i++) {
        writeFileSync(file, mutate(original, rand));
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`case ${i} of ${name} hung`)), CASE_TIMEOUT_MS); });
        try {
          outcomes[await Promise.race([openAndReadAll(file), hang])]++;
        } finally {
          clearTimeout(timer);
        }
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    }
    // both outcomes happen, so the mutations neither always break nor never touch the format
    expect(outcomes.opened).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(20);
    expect(peakRss).toBeLessThan(1024 * 1024 * 1024);
  });
});
