// The two ways an ensemble combines its members, against a direct computation from each member's own logits:
// `probs` scores log(mean of softmaxes), `logits` scores log_softmax(mean of logits) — on real MNIST models.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';
import { evaluateEnsemble, predict, type Predictions } from '../../../main/engine/evaluate';
import { trainMlp } from '../compare/helpers';

let models: string[], test: Dataset, preds: Predictions[];

beforeAll(async () => {
  test = await loadDataset('mnist:test');
  models = [(await trainMlp(41, { hidden: [32] })).model, (await trainMlp(42, { hidden: [16] })).model, (await trainMlp(43, { hidden: [32], lr: 0.01 })).model];
  preds = await Promise.all(models.map((m) => predict(m, test)));
}, 300_000);

/** Accuracy and mean negative log-likelihood of per-example log-probabilities, in float64. */
function direct(combined: (i: number) => number[]): { accuracy: number; loss: number } {
  let correct = 0, nll = 0;
  for (let i = 0; i < test.size; i++) {
    const lp = combined(i);
    const best = lp.indexOf(Math.max(...lp));
    if (best === test.labels[i]) correct++;
    nll -= lp[test.labels[i]];
  }
  return { accuracy: correct / test.size, loss: nll / test.size };
}

const K = 10;
const row = (p: Predictions, i: number) => Array.from(p.logits.subarray(i * K, (i + 1) * K));
const logSoftmax = (z: number[]) => { const m = Math.max(...z); const s = Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0)); return z.map((v) => v - m - s); };

describe('ensembles of probabilities and of logits', () => {
  it('each scores what its definition says, and the two differ', async () => {
    const probs = direct((i) => {
      const ps = preds.map((p) => logSoftmax(row(p, i)).map(Math.exp));
      return Array.from({ length: K }, (_, c) => Math.log(ps.reduce((a, p) => a + p[c], 0) / ps.length));
    });
    const logits = direct((i) => logSoftmax(Array.from({ length: K }, (_, c) => preds.reduce((a, p) => a + row(p, i)[c], 0) / preds.length)));
    const byDefault = await evaluateEnsemble(models, test);
    const viaProbs = await evaluateEnsemble(models, test, { combine: 'probs' });
    const viaLogits = await evaluateEnsemble(models, test, { combine: 'logits' });
    expect(byDefault.ensemble).toEqual(viaProbs.ensemble);
    expect(viaProbs.ensemble.accuracy).toBe(probs.accuracy);
    expect(viaProbs.ensemble.loss).toBeCloseTo(probs.loss, 5);
    expect(viaLogits.ensemble.accuracy).toBe(logits.accuracy);
    expect(viaLogits.ensemble.loss).toBeCloseTo(logits.loss, 5);
    // softmax of a mean is not the mean of softmaxes
    expect(Math.abs(viaLogits.ensemble.loss - viaProbs.ensemble.loss)).toBeGreaterThan(1e-3);
    expect(viaLogits.members).toEqual(viaProbs.members);
  }, 300_000);
});
