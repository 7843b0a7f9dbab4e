// The result the papers report, on real digits: a base "pre-trained" on another task (digits rotated by 90°, as
// their models start from a pre-trained network that cannot do the task), fine-tuned once on digits 0–4 and once
// on 5–9, the two merged and scored on all ten digits of mnist:test. Fisher merging (Matena & Raffel 2022) and
// RegMean (Jin et al. 2023), each model measured on its own training digits, score at least the plain mean.
// (docs/compare.md, "Data-aware merging", has the figures, and the settings where the mean wins.)
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';
import { evaluateModel } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { loadNet, netModel } from '../../../main/engine/models/load-net';
import { trainMlp } from '../compare/helpers';
import { tempDir } from '../train/helpers';

const LOW = 'mnist:fit?task=subset:0-4', HIGH = 'mnist:fit?task=subset:5-9';
const DATA = `data: {dataset: ['${LOW}', '${HIGH}'], samples: 1000}\n`;
let dir: string, a: string, b: string, test: Dataset;

const score = async (file: string) => (await evaluateModel(netModel(await loadNet(file, { arch: 'mlp' })), test)).accuracy;

async function merged(method: string, extra = ''): Promise<number> {
  const out = path.join(dir, `${method}.safetensors`);
  const yaml = `method: ${method}\nmodels: [${a}, ${b}]\n${extra}output: {path: ${out}}\n`;
  await runMerge(await resolveRecipe(parseRecipe(yaml), dir), silentContext());
  return score(out);
}

beforeAll(async () => {
  dir = tempDir('digits-merge');
  test = await loadDataset('mnist:test');
  const hidden = [128];
  const base = await trainMlp(1, { hidden, epochs: 2, dataset: 'mnist:fit?task=rotate:90', outDir: path.join(dir, 'base') });
  const tune = (seed: number, dataset: string, name: string) => trainMlp(seed, { hidden, epochs: 1, dataset, initFrom: base.model, outDir: path.join(dir, name) });
  a = (await tune(2, LOW, 'low')).model;
  b = (await tune(3, HIGH, 'high')).model;
}, 300_000);

describe('merging models fine-tuned on digits 0–4 and 5–9 from one pre-trained base', () => {
  it('fisher and regmean, measured on each model\'s own digits, score at least the plain mean on all digits', async () => {
    // each fine-tune knows its half only
    for (const m of [a, b]) expect(await score(m)).toBeLessThan(0.55);
    const mean = await merged('mean');
    expect(await merged('fisher', DATA)).toBeGreaterThanOrEqual(mean);
    // raw pixels that are non-zero in the same few images make Σ XᵀX singular at the authors' default α = 1
    await expect(merged('regmean', DATA)).rejects.toThrow(/RegMean cannot solve for layers\.0\.weight: .* singular .*set alpha below 1/);
    expect(await merged('regmean', `${DATA}parameters: {alpha: 0.9}\n`)).toBeGreaterThanOrEqual(mean);
  }, 300_000);
});
