// The trainer on real MNIST digits: files of a run, checkpoints, determinism, cancel, NaN, init-from,
// coupled pairs, fine-tuning a user's ONNX model.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../main/engine/data/types';
import { evaluateModel } from '../../../main/engine/evaluate';
import { CancelledError } from '../../../main/engine/job-context';
import { decodeModel, encodeModel } from '../../../main/engine/onnx/proto';
import { getArchitecture } from '../../../main/engine/models/registry';
import { checkpointModel, lrAt, readStateDict, trainModel, trainPair, TrainingDivergedError, type TrainOptions } from '../../../main/engine/train';
import { ModelFileError } from '../../../main/engine/formats/types';
import { mnistSubset, recordingContext, tempDir } from './helpers';

let train: Dataset;
let test: Dataset;
beforeAll(async () => {
  train = await mnistSubset('train', 640);
  test = await mnistSubset('test', 400);
});

const base = (outDir: string, over: Partial<TrainOptions> = {}): TrainOptions => ({
  arch: 'mlp', hidden: [32], dataset: train, epochs: 2, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9,
  seed: 7, threads: 1, outDir, ...over,
});

function distance(a: Map<string, { data: Float32Array | BigInt64Array }>, b: Map<string, { data: Float32Array | BigInt64Array }>): number {
  let s = 0;
  for (const [k, v] of a) {
    if (!(v.data instanceof Float32Array)) continue;
    const w = b.get(k)!.data as Float32Array;
    for (let i = 0; i < v.data.length; i++) s += (v.data[i] - w[i]) ** 2;
  }
  return Math.sqrt(s);
}

describe('trainModel', () => {
  it('writes model.onnx, kept checkpoints, metrics.jsonl and run.json; the model is runnable and learned', async () => {
    const dir = tempDir('run');
    const ctx = recordingContext();
    const r = await trainModel(base(dir, { epochs: 3, keepFrom: 2, evalDataset: test }), ctx);
    expect(r.status).toBe('completed');
    expect(r.checkpoints.map((c) => path.basename(c))).toEqual(['epoch-002.safetensors', 'epoch-003.safetensors']);
    expect(existsSync(path.join(dir, 'checkpoints', 'epoch-001.safetensors'))).toBe(false);
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('completed');
    expect(run.epochs).toHaveLength(3);
    const lines = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'step')).toHaveLength(3 * 20);
    expect(lines.filter((l) => l.kind === 'epoch')).toHaveLength(3);
    expect(ctx.steps).toHaveLength(60);
    expect(ctx.epochs.filter((e) => e.kind === 'checkpoint').map((e) => e.epoch)).toEqual([2, 3]);
    expect(ctx.epochs.filter((e) => e.kind === 'epoch').map((e) => e.epoch)).toEqual([1, 2, 3]);
    // learning happened: last epoch's loss is below the first's, and held-out accuracy is far above chance
    expect(r.epochs[2].loss).toBeLessThan(r.epochs[0].loss);
    const ev = await evaluateModel(r.model, test);
    expect(ev.accuracy).toBeGreaterThan(0.6);
    expect(ev.accuracy).toBeCloseTo(r.epochs[2].evalAccuracy!, 6);
    // the last checkpoint holds exactly model.onnx's weights, under PyTorch names
    const arch = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] });
    const ck = await readStateDict(r.checkpoints[1], arch.tensors);
    const model = decodeModel(readFileSync(r.model));
    const w = model.graph.initializer.find((t) => t.name === 'layers.0.weight')!;
    expect(Array.from(new Float32Array(new Uint8Array(w.rawData!).buffer))).toEqual(Array.from(ck.get('layers.0.weight')!.data as Float32Array));
    // a checkpoint alone rebuilds a runnable model (architecture and widths from its metadata)
    const fromCk = await evaluateModel(encodeModel(await checkpointModel(r.checkpoints[1])), test);
    expect(fromCk.accuracy).toBe(ev.accuracy);
    await expect(checkpointModel(path.join(__dirname, '../../fixtures/train/mlp-sgd.safetensors'))).rejects.toThrow(/does not say which architecture.*choose their architecture in the Architecture field/);
  });

  const detCases: [string, { hidden?: number[]; width?: number }][] = [['mlp', { hidden: [32] }], ['vgg', { width: 4, hidden: [32] }]];
  it.each(detCases)('%s is deterministic: same seed → same weights, whatever the steps per call; another seed differs', async (arch, o) => {
    const tensors = getArchitecture(arch).build({ inputShape: [1, 28, 28], numClasses: 10, ...o }).tensors;
    const runs = [];
    for (const [seed, k] of [[7, 1], [7, 6], [8, 6]]) {
      const dir = tempDir('det');
      const r = await trainModel(base(dir, { arch, ...o, epochs: 1, keepFrom: 1, seed, stepsPerCall: k, threads: 2 }), recordingContext());
      runs.push(await readStateDict(r.checkpoints[0], tensors));
    }
    expect(distance(runs[0], runs[1])).toBe(0);
    expect(distance(runs[0], runs[2])).toBeGreaterThan(0.1);
    if (arch === 'vgg') expect(runs[1].get('block_1.1.num_batches_tracked')!.data).toEqual(new BigInt64Array([20n]));
  });

  it('trains on the last smaller batch unless dropLast; checkpoints every K steps do not depend on the steps per call', async () => {
    const d650 = await mnistSubset('train', 650); // 20 batches of 32, then one of 10
    const tensors = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] }).tensors;
    const run = async (over: Partial<TrainOptions>) => {
      const dir = tempDir('tail'), ctx = recordingContext();
      const r = await trainModel(base(dir, { dataset: d650, checkpointEverySteps: 8, ...over }), ctx);
      return { r, ctx, run: JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) };
    };
    const kept = await run({ stepsPerCall: 3 });
    expect(kept.ctx.steps).toHaveLength(2 * 21);
    expect(kept.run.dropLast).toBe(false);
    // the epoch's accuracy counts the 650 examples it saw
    for (const e of kept.r.epochs) expect(Math.abs(e.accuracy * 650 - Math.round(e.accuracy * 650))).toBeLessThan(1e-6);
    expect(kept.r.checkpoints.map((c) => path.basename(c))).toEqual([8, 16, 24, 32, 40].map((s) => `step-${String(s).padStart(6, '0')}.safetensors`));
    expect(kept.ctx.epochs.filter((e) => e.kind === 'checkpoint').map((e) => e.step)).toEqual([8, 16, 24, 32, 40]);
    // chunks of 5 steps meet the checkpoints at other boundaries, and the tail step in other places: same weights
    const other = await run({ stepsPerCall: 5 });
    for (let i = 0; i < 5; i++) expect(distance(await readStateDict(kept.r.checkpoints[i], tensors), await readStateDict(other.r.checkpoints[i], tensors))).toBe(0);
    const dropped = await run({ dropLast: true, stepsPerCall: 3 });
    expect(dropped.ctx.steps).toHaveLength(2 * 20);
    expect(dropped.run.dropLast).toBe(true);
    // the first 20 steps are the same batches either way; step 21 is the tail in one run and not the other
    expect(distance(await readStateDict(kept.r.checkpoints[1], tensors), await readStateDict(dropped.r.checkpoints[1], tensors))).toBe(0);
    expect(distance(await readStateDict(kept.r.checkpoints[2], tensors), await readStateDict(dropped.r.checkpoints[2], tensors))).toBeGreaterThan(0);
  });

  it('cancel mid-epoch: run marked cancelled, kept checkpoints stay valid', async () => {
    const dir = tempDir('cancel');
    const ctx = recordingContext(30); // epoch 1 has 20 steps; cancel during epoch 2
    await expect(trainModel(base(dir, { epochs: 3, keepFrom: 1, stepsPerCall: 4 }), ctx)).rejects.toBeInstanceOf(CancelledError);
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('cancelled');
    expect(run.checkpoints.map((c: string) => path.basename(c))).toEqual(['epoch-001.safetensors']);
    const arch = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] });
    const ck = await readStateDict(run.checkpoints[0], arch.tensors);
    expect(ck.size).toBe(arch.tensors.length);
    const ev = await evaluateModel(path.join(dir, 'model.onnx'), test); // model.onnx = last good epoch
    expect(ev.n).toBe(400);
  });

  it('NaN loss stops with a clear message and keeps the last good checkpoint', async () => {
    const dir = tempDir('nan');
    // epoch 2 multiplies the learning rate by 1e12: the loss overflows
    const opts = base(dir, { epochs: 3, keepFrom: 1, schedule: { type: 'step', stepSize: 1, gamma: 1e12 } });
    const err = await trainModel(opts, recordingContext()).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(err.message).toMatch(/loss became (NaN|Infinity|-Infinity) at epoch 2.*lower the learning rate/);
    const run = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/loss became/);
    expect(run.checkpoints.map((c: string) => path.basename(c))).toEqual(['epoch-001.safetensors']);
    const ev = await evaluateModel(path.join(dir, 'model.onnx'), test);
    expect(Number.isFinite(ev.loss)).toBe(true);
  });

  it('init-from a run shares its initial weights exactly', async () => {
    const a = tempDir('initA'), b = tempDir('initB');
    await trainModel(base(a, { epochs: 1 }), recordingContext());
    await trainModel(base(b, { epochs: 1, seed: 99, initFrom: a }), recordingContext());
    const tensors = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] }).tensors;
    const ia = await readStateDict(path.join(a, 'init.safetensors'), tensors);
    const ib = await readStateDict(path.join(b, 'init.safetensors'), tensors);
    expect(distance(ia, ib)).toBe(0);
    // while seed 99 on its own draws other weights
    const c = tempDir('initC');
    await trainModel(base(c, { epochs: 1, seed: 99 }), recordingContext());
    expect(distance(ia, await readStateDict(path.join(c, 'init.safetensors'), tensors))).toBeGreaterThan(0.1);
  });

  it('coupled pair: the λ‖w_A − w_B‖² term keeps the two runs closer than an uncoupled pair', async () => {
    const tensors = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] }).tensors;
    const finalDistance = async (lambda?: number): Promise<number> => {
      const [ra, rb] = await trainPair({
        a: base(tempDir('pa'), { keepFrom: 2, seed: 1 }),
        b: base(tempDir('pb'), { keepFrom: 2, seed: 2 }),
        coupling: lambda ? { lambda } : undefined,
      }, recordingContext());
      return distance(await readStateDict(ra.checkpoints[0], tensors), await readStateDict(rb.checkpoints[0], tensors));
    };
    const free = await finalDistance();
    const coupled = await finalDistance(2);
    expect(free).toBeGreaterThan(0.1);
    expect(coupled).toBeLessThan(free * 0.5);
  });

  it('per-layer λ: a layer with λ = 0 is left free while the others are pulled together; datasets of different sizes step in lockstep', async () => {
    const tensors = getArchitecture('mlp').build({ inputShape: [1, 28, 28], numClasses: 10, hidden: [32] }).tensors;
    const small: Dataset = { ...train, size: 320, inputs: train.inputs.subarray(0, 320 * 784), labels: train.labels.subarray(0, 320) };
    const layerDistance = async (perTensor?: Record<string, number>) => {
      const [ra, rb] = await trainPair({
        a: base(tempDir('la'), { keepFrom: 2, seed: 1 }),
        b: base(tempDir('lb'), { keepFrom: 2, seed: 2, dataset: small }),
        coupling: { lambda: 2, perTensor },
      }, recordingContext());
      const [sa, sb] = [await readStateDict(ra.checkpoints[0], tensors), await readStateDict(rb.checkpoints[0], tensors)];
      const pick = (s: typeof sa, prefix: string) => new Map([...s].filter(([k]) => k.startsWith(prefix)));
      expect(ra.epochs).toHaveLength(2);
      expect(rb.epochs).toHaveLength(2);
      return { first: distance(pick(sa, 'layers.0.'), pick(sb, 'layers.0.')), last: distance(pick(sa, 'layers.2.'), pick(sb, 'layers.2.')) };
    };
    const all = await layerDistance();
    const lastFree = await layerDistance({ 'layers.2.weight': 0, 'layers.2.bias': 0 });
    expect(lastFree.last).toBeGreaterThan(all.last * 2);
    expect(lastFree.first).toBeLessThan(all.first * 2);
  });

  it('fine-tunes a user ONNX model, and names the ops it cannot train', async () => {
    const a = tempDir('ftA');
    const ra = await trainModel(base(a, { epochs: 1 }), recordingContext());
    const before = await evaluateModel(ra.model, test);
    const b = tempDir('ftB');
    const rb = await trainModel({ ...base(b, { epochs: 2 }), arch: undefined, modelFile: ra.model }, recordingContext());
    const after = await evaluateModel(rb.model, test);
    expect(after.loss).toBeLessThan(before.loss);
    // a graph with Softmax and Erf on the path has no backward rule for them
    const m = decodeModel(readFileSync(ra.model));
    const logits = m.graph.output[0].name;
    m.graph.node.push({ opType: 'Erf', input: [logits], output: ['erf_out'], attribute: [] }, { opType: 'Softmax', input: ['erf_out'], output: ['probs'], attribute: [] });
    m.graph.output = [{ name: 'probs' }];
    const bad = path.join(b, 'bad.onnx');
    writeFileSync(bad, encodeModel(m));
    const err = await trainModel({ ...base(tempDir('ftC')), arch: undefined, modelFile: bad }, recordingContext()).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toContain('bad.onnx');
    expect(err.message).toContain('Erf, Softmax');
  });

  it.each(['torch-mlp', 'torch-bn'])('fine-tunes %s.onnx exported by PyTorch (flat input, BatchNorm with deduped stats)', async (name) => {
    const file = path.join(__dirname, '../../fixtures/train', `${name}.onnx`);
    const before = await evaluateModel(file, test);
    const dir = tempDir(name);
    const r = await trainModel({ ...base(dir, { epochs: 2, lr: 0.02 }), arch: undefined, modelFile: file }, recordingContext());
    const after = await evaluateModel(r.model, test);
    expect(after.accuracy).toBeGreaterThan(before.accuracy + 0.3);
    const m = decodeModel(readFileSync(r.model));
    if (name === 'torch-bn') {
      // running stats were tracked on their own: no longer the ones/zeros they started as, nor tied to bn.weight
      const get = (n: string) => new Float32Array(new Uint8Array(m.graph.initializer.find((t) => t.name === n)!.rawData!).buffer);
      expect(Array.from(get('bn.running_var')).some((v) => Math.abs(v - 1) > 1e-3)).toBe(true);
      expect(get('bn.running_var')).not.toEqual(get('bn.weight'));
      expect(Array.from(get('bn.running_mean')).some((v) => Math.abs(v) > 1e-3)).toBe(true);
    }
  });

  it('rejects an unknown architecture and bad options with a message that says what to do', async () => {
    await expect(trainModel(base(tempDir('x'), { arch: 'transformer' }), recordingContext())).rejects.toThrow(/unknown architecture "transformer".*mlp, smallcnn, vgg, resnet/);
    await expect(trainModel(base(tempDir('x'), { epochs: 0 }), recordingContext())).rejects.toThrow(/epochs must be a positive integer/);
    await expect(trainModel(base(tempDir('x'), { dataset: 'nosuchkind:foo' }), recordingContext())).rejects.toThrow(/nosuchkind/);
  });
});

describe('learning-rate schedules', () => {
  it('constant, step and cosine follow PyTorch per-epoch values', () => {
    expect(lrAt(0.1, { type: 'constant' }, 5, 10)).toBe(0.1);
    expect([1, 2, 3, 4, 5].map((e) => lrAt(0.1, { type: 'step', stepSize: 2, gamma: 0.5 }, e, 5))).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    expect(lrAt(0.1, { type: 'cosine' }, 1, 4)).toBeCloseTo(0.1, 12);
    expect(lrAt(0.1, { type: 'cosine' }, 3, 4)).toBeCloseTo(0.05, 12); // cos(π/2)
  });
});
