// Seed 001's VGG with BatchNorm: after weight matching, the midpoint's BatchNorm statistics no longer fit its
// weights; recomputing them (update_bn) makes the aligned midpoint better, in the curve and in a recipe merge.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { alignedCurves } from '../../../main/engine/align';
import { loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';
import { evaluateModel } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { parseRecipe, runMerge } from '../../../main/engine/merge';
import { loadNet, netModel } from '../../../main/engine/models';
import { pct, trainPairOfSeeds } from './helpers';

let files: string[], test: Dataset, train: Dataset;
beforeAll(async () => {
  files = await trainPairOfSeeds('vgg', { arch: 'vgg', width: 8, epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9, threads: 2 });
  [test, train] = [await loadDataset('mnist:test'), await loadDataset('mnist:train')];
}, 1_800_000);

describe('BatchNorm repair of aligned VGGs', () => {
  it('the aligned midpoint with update_bn beats it without (and REPAIR is measured too)', async () => {
    const [a, b] = [await loadNet(files[0]), await loadNet(files[1])];
    const alphas = [0, 0.5, 1];
    const plain = await alignedCurves(a, b, test, { aligns: ['none', 'weight'], alphas, threads: 2 });
    const reset = await alignedCurves(a, b, test, { aligns: ['weight'], alphas, repair: 'reset', sample: train, samples: 2000, threads: 2 });
    const repair = await alignedCurves(a, b, test, { aligns: ['weight'], alphas, repair: 'repair', sample: train, samples: 2000, threads: 2 });
    const mid = (c: typeof plain, k: string) => c.curves[k].accuracy[1];
    console.log(`VGG-BN: endpoints ${pct(plain.curves.none.accuracy[0])} and ${pct(plain.curves.none.accuracy[2])}; midpoint naive ${pct(mid(plain, 'none'))}, weight-matched ${pct(mid(plain, 'weight'))}, + update_bn ${pct(mid(reset, 'weight'))}, + REPAIR ${pct(mid(repair, 'weight'))}; losses ${plain.curves.weight.loss[1].toFixed(3)} → ${reset.curves.weight.loss[1].toFixed(3)}`);
    expect(mid(reset, 'weight')).toBeGreaterThan(mid(plain, 'weight'));
    expect(reset.curves.weight.loss[1]).toBeLessThan(plain.curves.weight.loss[1]);
    expect(mid(repair, 'weight')).toBeGreaterThan(mid(plain, 'weight'));
  }, 900_000);

  it('a recipe with align: {method: weight, dataset, repair: reset} merges to a better model than without repair', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ms-vgg-merge-'));
    const merged = async (repair: string) => {
      const out = path.join(dir, `mean-${repair}.safetensors`);
      await runMerge(parseRecipe(`method: mean\nmodels: [${files[0]}, ${files[1]}]\nalign: {method: weight, dataset: "mnist:train", samples: 2000, repair: ${repair}}\noutput: {path: ${out}}\n`), silentContext());
      const net = await loadNet(out, { arch: 'vgg' });
      return (await evaluateModel(netModel(net), test)).accuracy;
    };
    const [without, withReset] = [await merged('none'), await merged('reset')];
    console.log(`VGG-BN recipe merge (mean of aligned models): ${pct(without)} without repair, ${pct(withReset)} with update_bn`);
    expect(withReset).toBeGreaterThan(without);
  }, 900_000);
});
