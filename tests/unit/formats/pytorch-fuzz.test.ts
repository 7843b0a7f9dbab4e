import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pytorchReader } from '../../../main/engine/formats/pytorch';
import { ModelFileError } from '../../../main/engine/formats/types';
import { fixture } from './pytorch-helpers';
import { mulberry32 } from '../../../main/engine/random';

// Deterministic PRNG so a failure reproduces from its case number.
const rng = mulberry32;

const SOURCES = ['smallcnn.pt', 'smallcnn_legacy.pt', 'tied.pt', 'views.pt', 'dtypes_legacy.pt', 'deflated.pt', 'batchnorm.pt'];
const CASES = 400;
/** No single tensor a mutated header makes us materialise may exceed this (the reader's own cap). */
const MAX_TENSOR_BYTES = 256 << 20;

describe('pytorch reader: bounded fuzz of real fixtures', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'ms-pt-fuzz-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${CASES} flipped/truncated files each open or throw a ModelFileError`, async () => {
    const rand = rng(2002);
    const originals = SOURCES.map((s) => readFileSync(fixture(s)));
    let opened = 0;
    let refused = 0;
    for (let c = 0; c < CASES; c++) {
      const src = originals[c % originals.length];
      const bytes = Buffer.from(src);
      const kind = Math.floor(rand() * 3);
      // Most flips land in the first 600 bytes, where headers and the pickle live.
      if (kind !== 1) {
        const flips = 1 + Math.floor(rand() * 6);
        for (let f = 0; f < flips; f++) {
          const at = rand() < 0.7 ? Math.floor(rand() * Math.min(600, bytes.length)) : Math.floor(rand() * bytes.length);
          bytes[at] ^= 1 << Math.floor(rand() * 8);
        }
      }
      const data = kind === 0 ? bytes : bytes.subarray(0, Math.floor(rand() * bytes.length));
      const path = join(dir, `case-${c}.pt`);
      writeFileSync(path, data);
      try {
        const model = await pytorchReader.open(path);
        opened++;
        try {
          for (const t of model.tensors) {
            expect(t.byteLength, `case ${c}: ${t.name}`).toBeLessThanOrEqual(MAX_TENSOR_BYTES);
            try {
              const b = await t.read();
              expect(b.byteLength).toBe(t.byteLength);
            } catch (err) {
              expect(err, `case ${c}: read ${t.name}: ${String(err)}`).toBeInstanceOf(ModelFileError);
            }
          }
        } finally {
          await model.close();
        }
      } catch (err) {
        if ((err as Error).name === 'AssertionError') throw err;
        expect(err, `case ${c}: ${String((err as Error)?.stack ?? err)}`).toBeInstanceOf(ModelFileError);
        refused++;
      }
      rmSync(path);
    }
    // Both outcomes occur: flips in tensor data still open, broken headers are refused.
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
