// Real training on mnist:train (8,000 digits), judged on mnist:test (2,000 held-out digits).
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../main/engine/data';
import { evaluateModel } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { trainModel } from '../../../main/engine/train';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const out = (name: string) => mkdtempSync(path.join(tmpdir(), `ms-int-${name}-`));

describe('training on MNIST', () => {
  it('SmallCNN, 2 epochs of SGD momentum 0.9: ≥ 95 % on mnist:test', async () => {
    const r = await trainModel({
      arch: 'smallcnn', dataset: 'mnist:train', epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9,
      seed: 1, threads: 2, keepFrom: 1, outDir: out('smallcnn'),
    }, silentContext());
    const ev = await evaluateModel(r.model, await loadDataset('mnist:test'));
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
  }, 600_000);

  it('MLP 512-512, 4 epochs of Adam: ≥ 95 % on mnist:test', async () => {
    const r = await trainModel({
      arch: 'mlp', hidden: [512, 512], dataset: 'mnist:train', epochs: 4, batchSize: 32, optimizer: 'adam', lr: 1e-3,
      seed: 1, threads: 2, outDir: out('mlp'),
    }, silentContext());
    const ev = await evaluateModel(r.model, await loadDataset('mnist:test'));
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
  }, 600_000);
});
