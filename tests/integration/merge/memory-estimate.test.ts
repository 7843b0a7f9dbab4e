// The pre-flight's (and the doctor's) peak memory of a merge against the peak RSS measured of the same merge
// in a child process: within 25 %, for merges of each kind the executor buffers differently — tensors in
// the arena read ahead, big tensors read alone, a method with scratch (TIES with a base), many small tensors.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writerFor } from '../../../main/engine/formats/registry';
import { runPreflight } from '../../../main/engine/merge/preflight';
import { parseRecipe } from '../../../main/engine/merge/recipe';
import { tempDir } from '../../unit/merge/model-files';

const ROOT = path.resolve(__dirname, '../../..');

/** A model of `count` f32 tensors of `elements` values each, pseudo-random from `seed`. */
async function makeModel(file: string, count: number, elements: number, seed: number): Promise<void> {
  const specs = Array.from({ length: count }, (_, i) => ({ name: `layers.${i}.weight`, dtype: 'f32' as const, shape: [elements / 256, 256] }));
  const session = await writerFor(file).begin(file, specs);
  const data = new Float32Array(elements);
  let x = (seed * 2654435761) >>> 0;
  for (const s of specs) {
    for (let i = 0; i < data.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; data[i] = x / 4294967296 - 0.5; }
    await session.writeTensor(s.name, new Uint8Array(data.buffer));
  }
  await session.finish();
}

async function estimateAndMeasure(o: { models: number; count: number; elements: number; method: string; base?: boolean }): Promise<{ estimate: number; measured: number }> {
  const dir = tempDir('rss');
  const names = Array.from({ length: o.models }, (_, i) => `m${i}.safetensors`);
  for (let i = 0; i < o.models; i++) await makeModel(path.join(dir, names[i]), o.count, o.elements, i + 1);
  if (o.base) await makeModel(path.join(dir, 'base.safetensors'), o.count, o.elements, 99);
  const yaml = `method: ${o.method}\nmodels: [${names.join(', ')}]\n${o.base ? 'base: base.safetensors\n' : ''}output: {path: out.safetensors}\n`;
  const file = path.join(dir, 'recipe.yaml');
  writeFileSync(file, yaml);
  const report = await runPreflight(parseRecipe(yaml), { baseDir: dir });
  expect(report.blocking).toEqual([]);
  const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'merge-rss-child.ts'), file], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  expect(child.status, child.stderr).toBe(0);
  const measured = JSON.parse(child.stdout.trim().split('\n').pop()!).maxRssBytes as number;
  return { estimate: report.peakMemoryBytes, measured };
}

const MB = 2 ** 20;
describe('peak memory estimate against the measured peak RSS of real merges', () => {
  const cases = [
    { name: 'mean of 3 × 128 MB, 16 MB tensors (arena, read ahead)', models: 3, count: 8, elements: 4 << 20, method: 'mean' },
    { name: 'mean of 2 × 136 MB, 68 MB tensors (big tensors, read alone)', models: 2, count: 2, elements: 17 << 20, method: 'mean' },
    { name: 'TIES of 3 + base × 64 MB (scratch per tensor)', models: 3, count: 4, elements: 4 << 20, method: 'ties', base: true },
    { name: 'mean of 3 × 64 MB in 1000 small tensors (garbage of small tensors)', models: 3, count: 1000, elements: 16 << 10, method: 'mean' },
  ];
  for (const c of cases) {
    it(`${c.name}: within 25 %`, async () => {
      const { estimate, measured } = await estimateAndMeasure(c);
      console.log(`${c.name}: estimated ${(estimate / MB).toFixed(0)} MB, measured ${(measured / MB).toFixed(0)} MB`);
      expect(Math.abs(estimate - measured) / measured).toBeLessThanOrEqual(0.25);
    }, 300_000);
  }
});
