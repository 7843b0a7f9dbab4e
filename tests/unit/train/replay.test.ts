// A short PyTorch run replayed step for step (fixtures by scripts/fixtures/make_replay_fixtures.py): from the
// same initial weights (a file we load) and the same sample order (--order's file, or --no-shuffle), with
// PyTorch's DataLoader keeping the last partial batch, our step checkpoints hold PyTorch's state dict after
// the same number of SGD steps — weights, and BatchNorm's running statistics — within 1e-5.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { digitNames, makeDataset } from '../../../main/engine/data/make';
import { safetensorsReader } from '../../../main/engine/formats/safetensors';
import { getArchitecture } from '../../../main/engine/models/registry';
import type { StateDict, StateTensorSpec } from '../../../main/engine/models/types';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { readStateDict, trainModel, writeStateDict, type TrainOptions } from '../../../main/engine/train';
import { recordingContext, tempDir } from './helpers';

const FIXTURES = path.join(__dirname, '../../fixtures/train');

interface Config { arch: string; options: { hidden?: number[]; width?: number }; inputShape: number[]; batch: number; epochs: number; lr: number; momentum: number; order: 'given' | 'dataset'; every: number; steps: number }
type Tensors = Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>;

async function load(name: string): Promise<{ config: Config; t: Tensors }> {
  const src = await safetensorsReader.open(path.join(FIXTURES, `replay-${name}.safetensors`));
  const t: Tensors = new Map();
  for (const x of src.tensors) {
    const bytes = new Uint8Array(await x.read());
    t.set(x.name, { shape: x.shape, data: x.dtype === 'i64' ? new BigInt64Array(bytes.buffer) : toFloat32(bytes, x.dtype) });
  }
  await src.close();
  return { config: JSON.parse(src.metadata.config), t };
}

/** The fixture's tensors under `prefix.` as a state dict of the model's layout. */
function stateOf(t: Tensors, prefix: string, layout: StateTensorSpec[]): StateDict {
  return new Map(layout.map((s) => [s.name, t.get(`${prefix}.${s.name}`)!]));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Trains our side of fixture `name` with `order` (the options that set the sample order); the files of the run. */
async function replay(name: string, order: (c: Config, t: Tensors, dir: string) => Partial<TrainOptions>, stepsPerCall?: number) {
  const { config: c, t } = await load(name);
  const layout = getArchitecture(c.arch).build({ inputShape: c.inputShape, numClasses: 10, ...c.options }).tensors;
  const dir = tempDir(`replay-${name}`);
  const init = path.join(dir, 'init-from-pytorch.safetensors');
  await writeStateDict(init, layout, stateOf(t, 'init', layout));
  const x = t.get('data.x')!.data as Float32Array;
  const y = Int32Array.from(t.get('data.y')!.data as BigInt64Array, Number);
  const dataset = makeDataset({ id: `replay-${name}`, inputShape: c.inputShape, numClasses: 10, classNames: digitNames(10), size: y.length, inputs: x, labels: y });
  const ctx = recordingContext();
  const r = await trainModel({
    arch: c.arch, ...c.options, dataset, epochs: c.epochs, batchSize: c.batch, optimizer: 'sgd', lr: c.lr, momentum: c.momentum,
    seed: 0, threads: 1, outDir: path.join(dir, 'run'), initFrom: init, checkpointEverySteps: c.every, ...(stepsPerCall ? { stepsPerCall } : {}),
    ...order(c, t, dir),
  }, ctx);
  return { c, t, r, ctx, layout };
}

describe('replaying a PyTorch run step for step', () => {
  it.each([
    ['mlp-order', 'an order file (text, one epoch per line)', undefined],
    ['resnet-no-shuffle', 'no shuffling (BatchNorm, a last batch of 6)', 2],
  ] as const)('%s: %s gives PyTorch\'s state dict at every step checkpoint', async (name, _what, stepsPerCall) => {
    const { c, t, r, ctx, layout } = await replay(name, (c, t, dir) => {
      if (c.order === 'dataset') return { shuffle: false };
      const orders = t.get('orders')!;
      const n = orders.shape[1];
      const file = path.join(dir, 'order.txt');
      const lines = Array.from({ length: orders.shape[0] }, (_, e) => Array.from((orders.data as BigInt64Array).subarray(e * n, (e + 1) * n), Number).join(' '));
      writeFileSync(file, `# sample order per epoch, from torch.randperm\n${lines.join('\n')}\n`);
      return { orderFile: file };
    }, stepsPerCall);
    expect(r.status).toBe('completed');
    // 70 examples in batches of 16: 4 full steps and one of 6 per epoch, as PyTorch's DataLoader(drop_last=False)
    expect(ctx.steps).toHaveLength(c.steps);
    expect(ctx.steps.map((s) => s.loss as number).map((l) => l.toFixed(4))).toEqual(Array.from(t.get('losses')!.data as Float32Array, (l) => l.toFixed(4)));
    const steps = Array.from({ length: Math.floor(c.steps / c.every) }, (_, i) => (i + 1) * c.every);
    expect(r.checkpoints.map((f) => path.basename(f))).toEqual(steps.map((s) => `step-${String(s).padStart(6, '0')}.safetensors`));
    for (const [i, step] of steps.entries()) {
      const ours = await readStateDict(r.checkpoints[i], layout);
      const theirs = stateOf(t, `step${step}`, layout);
      for (const s of layout) {
        const a = ours.get(s.name)!.data, b = theirs.get(s.name)!.data;
        if (a instanceof BigInt64Array) expect(a, `${s.name} at step ${step}`).toEqual(b);
        else expect(maxDiff(a, b as Float32Array), `${s.name} at step ${step}`).toBeLessThan(1e-5);
      }
    }
  });
});
