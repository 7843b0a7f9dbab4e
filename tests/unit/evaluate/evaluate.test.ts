import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import type { Dataset } from '../../../main/engine/data/types';
import { agreement, evaluateEnsemble, evaluateModel, predict } from '../../../main/engine/evaluate';
import { CancelledError, silentContext, type ProgressUpdate } from '../../../main/engine/job-context';
import { fitSoftmaxRegression, referenceLogits, referenceScores, softmaxRegressionOnnx, type Linear } from './softmax-regression';

let train: Dataset, test: Dataset;
let modelA: Linear, modelB: Linear;
let refA: { accuracy: number; loss: number; preds: Int32Array };
let logitsA: Float64Array, logitsB: Float64Array;

beforeAll(async () => {
  train = await loadDataset('mnist:train');
  test = await loadDataset('mnist:test');
  modelA = fitSoftmaxRegression(train, 2, 0.5, 1);
  modelB = fitSoftmaxRegression(train, 1, 0.1, 2); // a weaker, different model for agreement/ensembles
  logitsA = referenceLogits(modelA, test);
  logitsB = referenceLogits(modelB, test);
  refA = referenceScores(logitsA, 10, test.labels);
});

describe('evaluateModel on a softmax regression fitted to mnist:train', () => {
  it('the JS-fitted model is a real classifier (well above the 10 % of chance)', () => {
    expect(refA.accuracy).toBeGreaterThan(0.85);
    expect(refA.loss).toBeLessThan(0.5);
  });

  it('accuracy and loss from onnxruntime agree with the JS reference ([N,784] Gemm model fed 1×28×28 digits)', async () => {
    const r = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), test);
    expect(r.n).toBe(2000);
    expect(Math.abs(r.accuracy - refA.accuracy)).toBeLessThanOrEqual(1 / 2000); // a float32 tie may flip one digit
    expect(r.loss).toBeCloseTo(refA.loss, 4);
  });

  it('per-class accuracy and the confusion matrix are consistent with the labels', async () => {
    const r = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), test, { batchSize: 300 });
    expect(r.per_class.map((c) => c.class)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const c of r.per_class) {
      expect(c.n).toBe(test.labels.filter((y) => y === c.class).length);
      expect(c.name).toBe(String(c.class));
      expect(c.accuracy).toBeCloseTo(r.confusion[c.class][c.class] / c.n, 12);
      // reference per-class accuracy
      let ok = 0;
      for (let i = 0; i < test.size; i++) if (test.labels[i] === c.class && refA.preds[i] === c.class) ok++;
      expect(Math.abs(c.accuracy * c.n - ok)).toBeLessThanOrEqual(1);
    }
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(2000);
    const trace = r.confusion.reduce((s, row, i) => s + row[i], 0);
    expect(trace / 2000).toBeCloseTo(r.accuracy, 12);
  });

  it('gives the same numbers for the [N,1,28,28] Flatten model, a MatMul+Add model and a fixed batch of 7 (padded last batch)', async () => {
    const base = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), test);
    const nchw = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 1, 28, 28]), test, { batchSize: 128 });
    const matmul = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784], { matmul: true }), test);
    const fixed = await evaluateModel(softmaxRegressionOnnx(modelA, [7, 784]), test);
    for (const r of [nchw, matmul, fixed]) {
      expect(r.n).toBe(2000);
      expect(Math.abs(r.accuracy - base.accuracy)).toBeLessThanOrEqual(1 / 2000);
      expect(r.loss).toBeCloseTo(base.loss, 4);
    }
  });

  it('recognises models that end in Softmax or LogSoftmax and scores them the same', async () => {
    const soft = await predict(softmaxRegressionOnnx(modelA, ['N', 784], { head: 'Softmax' }), test);
    const logSoft = await predict(softmaxRegressionOnnx(modelA, ['N', 784], { head: 'LogSoftmax' }), test);
    const plain = await predict(softmaxRegressionOnnx(modelA, ['N', 784]), test);
    expect([soft.outputKind, logSoft.outputKind, plain.outputKind]).toEqual(['probabilities', 'log-probabilities', 'logits']);
    for (const model of [softmaxRegressionOnnx(modelA, ['N', 784], { head: 'Softmax' }), softmaxRegressionOnnx(modelA, ['N', 784], { head: 'LogSoftmax' })]) {
      const r = await evaluateModel(model, test);
      expect(r.loss).toBeCloseTo(refA.loss, 4);
      expect(Math.abs(r.accuracy - refA.accuracy)).toBeLessThanOrEqual(1 / 2000);
    }
    // Taking probabilities for logits would report a wrong loss: the detection matters.
    const wrong = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784], { head: 'Softmax' }), test, { outputKind: 'logits' });
    expect(Math.abs(wrong.loss - refA.loss)).toBeGreaterThan(0.5);
  });

  it('reads a model from a file path too, and reports progress up to n', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-eval-'));
    const file = join(dir, 'model.onnx');
    writeFileSync(file, softmaxRegressionOnnx(modelA, ['N', 784]));
    const updates: ProgressUpdate[] = [];
    const r = await evaluateModel(file, test, { batchSize: 500 }, { ...silentContext(), progress: (u) => updates.push(u) });
    expect(r.loss).toBeCloseTo(refA.loss, 4);
    expect(updates.map((u) => u.done)).toEqual([500, 1000, 1500, 2000]);
    expect(updates.every((u) => u.total === 2000)).toBe(true);
  });

  it('stops with CancelledError when the job is cancelled', async () => {
    const ac = new AbortController();
    const ctx = { ...silentContext(ac.signal), progress: (u: ProgressUpdate) => { if (u.done >= 200) ac.abort(); } };
    await expect(evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), test, { batchSize: 100 }, ctx)).rejects.toBeInstanceOf(CancelledError);
  });

  it('evaluates on a derived task (a class subset keeps the 10-way labels)', async () => {
    const low = await loadDataset('mnist:test?task=subset:0-4');
    const r = await evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), low);
    expect(r.n).toBe(low.size);
    expect(r.per_class.map((c) => c.class)).toEqual([0, 1, 2, 3, 4]);
    const ref = referenceScores(referenceLogits(modelA, low), 10, low.labels);
    expect(Math.abs(r.accuracy - ref.accuracy)).toBeLessThanOrEqual(1 / low.size);
    expect(r.loss).toBeCloseTo(ref.loss, 4);
  });

  it('says which shapes disagree when the data does not fit the model', async () => {
    const coloured = await loadDataset('mnist:test?task=color-bg:1');
    await expect(evaluateModel(softmaxRegressionOnnx(modelA, ['N', 784]), coloured)).rejects.toThrow(/input "x" has shape \[N, 784\].*\[3, 28, 28\] \(2352 values\)/);
  });

  it('names the file when it is missing or not ONNX', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-eval-'));
    await expect(evaluateModel(join(dir, 'nope.onnx'), test)).rejects.toThrow(/nope\.onnx: no such model file/);
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, 'this is not a model');
    await expect(evaluateModel(bad, test)).rejects.toThrow(/bad\.onnx: onnxruntime cannot load it/);
  });
});

describe('agreement and ensembles', () => {
  it('agreement of two models equals the fraction of equal JS predictions', async () => {
    const a = await predict(softmaxRegressionOnnx(modelA, ['N', 784]), test);
    const b = await predict(softmaxRegressionOnnx(modelB, ['N', 784]), test);
    const refB = referenceScores(logitsB, 10, test.labels);
    let same = 0;
    for (let i = 0; i < test.size; i++) if (refA.preds[i] === refB.preds[i]) same++;
    const ag = agreement(a.predictions, b.predictions);
    expect(Math.abs(ag - same / test.size)).toBeLessThanOrEqual(2 / test.size);
    expect(ag).toBeGreaterThan(0.5);
    expect(ag).toBeLessThan(1);
    expect(agreement(a.predictions, a.predictions)).toBe(1);
    expect(() => agreement(a.predictions, b.predictions.subarray(1))).toThrow(/same dataset/);
  });

  it('the ensemble scores the average of the softmaxes, as computed in JS', async () => {
    const r = await evaluateEnsemble([softmaxRegressionOnnx(modelA, ['N', 784]), softmaxRegressionOnnx(modelB, ['N', 1, 28, 28])], test);
    // JS reference: log of the mean of the two softmaxes.
    const logMean = new Float64Array(logitsA.length);
    for (let i = 0; i < test.size; i++) {
      const pa = softmax(logitsA.subarray(i * 10, i * 10 + 10)), pb = softmax(logitsB.subarray(i * 10, i * 10 + 10));
      for (let c = 0; c < 10; c++) logMean[i * 10 + c] = Math.log((pa[c] + pb[c]) / 2);
    }
    const ref = referenceScores(logMean, 10, test.labels);
    expect(r.ensemble.n).toBe(2000);
    expect(Math.abs(r.ensemble.accuracy - ref.accuracy)).toBeLessThanOrEqual(1 / 2000);
    expect(r.ensemble.loss).toBeCloseTo(ref.loss, 4);
    expect(r.members[0].loss).toBeCloseTo(refA.loss, 4);
    expect(r.agreement[0][0]).toBe(1);
    expect(r.agreement[0][1]).toBe(r.agreement[1][0]);
  });
});

function softmax(row: Float64Array): number[] {
  const max = Math.max(...row);
  const e = Array.from(row, (v) => Math.exp(v - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
