// Seed 003's claim, stated exactly (compare/note.ts): averaging commutes with linear layers, so for a linear
// model (softmax regression: an `mlp` with no hidden layer) the weight merge's logits equal the mean of the
// members' logits — the ensemble of logits. It is not the ensemble of probabilities, and once there is a
// ReLU (an MLP) the merge's logits are no longer the mean of the logits.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import { ensembleLogProbs, logSoftmax, meanLogits, predict } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge';
import { loadNet, netModel } from '../../../main/engine/models';
import { tempDir } from '../train/helpers';
import { trainMlp } from './helpers';

async function mergeAndPredict(hidden: number[]) {
  const [ra, rb] = [await trainMlp(21, { hidden }), await trainMlp(22, { hidden })];
  const out = path.join(tempDir('lin'), 'mean.safetensors');
  await runMerge({ method: 'mean', models: [{ path: ra.checkpoints[0] }, { path: rb.checkpoints[0] }], output: { path: out } }, silentContext());
  const test = await loadDataset('mnist:test');
  const [pa, pb] = [await predict(ra.model, test), await predict(rb.model, test)];
  const merged = await predict(netModel(await loadNet(out, { arch: 'mlp' })), test);
  return { pa, pb, merged, k: 10 };
}

const maxAbs = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);

describe('merge against ensemble', () => {
  it('a linear model: the merge\'s logits are the mean of the logits, not the mean of the probabilities', async () => {
    const { pa, pb, merged, k } = await mergeAndPredict([]);
    const mean = meanLogits([pa, pb]);
    const scale = maxAbs(pa.logits, pb.logits);
    expect(scale).toBeGreaterThan(1); // the two models really differ
    expect(maxAbs(merged.logits, mean)).toBeLessThan(1e-4 * Math.max(1, scale));
    // the probability ensemble is another thing: log mean softmax ≠ log softmax of the mean logits
    const probs = ensembleLogProbs([pa, pb]);
    const fromMerge = logSoftmax(merged.logits, k);
    expect(maxAbs(probs.map(Math.exp), fromMerge.map(Math.exp))).toBeGreaterThan(1e-3);
  }, 120_000);

  it('an MLP with a ReLU: the merge\'s logits are not the mean of the logits', async () => {
    const { pa, pb, merged } = await mergeAndPredict([32]);
    const mean = meanLogits([pa, pb]);
    expect(maxAbs(merged.logits, mean)).toBeGreaterThan(0.5);
  }, 120_000);
});
