// Built-in architectures: documented shapes, PyTorch names and init bounds, runnable inference graphs,
// and each one's training graph learns (loss falls when fitting a few real digits).
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildLoopStep } from '../../../main/engine/autodiff/train-step';
import { encodeModel } from '../../../main/engine/onnx/proto';
import { getArchitecture, listArchitectures } from '../../../main/engine/models/registry';
import { inferenceModel, initialState } from '../../../main/engine/models/state';
import { fromArchitecture, trainGraphSpec } from '../../../main/engine/train/model-spec';
import { StepRunner } from '../../../main/engine/train/step-runner';
import { mnistSubset } from './helpers';

const MNIST = { inputShape: [1, 28, 28], numClasses: 10 };

describe('built-in architectures', () => {
  it('SmallCNN has seed 002\'s exact layers and PyTorch names/layouts: 64·14·14 = 12,544 inputs to the first Linear, 3.2 M parameters', () => {
    const g = getArchitecture('smallcnn').build(MNIST);
    expect(g.tensors.map((t) => `${t.name} ${t.shape.join('x')}`)).toEqual([
      'features.0.weight 32x1x3x3', 'features.0.bias 32', 'features.2.weight 64x32x3x3', 'features.2.bias 64',
      'classifier.1.weight 256x12544', 'classifier.1.bias 256', 'classifier.3.weight 10x256', 'classifier.3.bias 10',
    ]);
    const params = g.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    expect(params).toBe((32 * 9 + 32) + (64 * 32 * 9 + 64) + (12_544 * 256 + 256) + (256 * 10 + 10)); // 3,232,906
    expect(getArchitecture('smallcnn').describe(MNIST)).toContain('64·14·14=12544');
    // padded convs: a 3×32×32 (SVHN) image keeps its size until the pool
    expect(getArchitecture('smallcnn').build({ inputShape: [3, 32, 32], numClasses: 10 }).tensors.find((t) => t.name === 'classifier.1.weight')!.shape).toEqual([256, 64 * 16 * 16]);
  });

  it('VGG has seed 001\'s module tree (block_k, classifier with Dropout); MLP widths and ResNet blocks follow the options', () => {
    expect(getArchitecture('mlp').build({ ...MNIST, hidden: [100, 50] }).tensors.map((t) => t.shape.join('x')))
      .toEqual(['100x784', '100', '50x100', '50', '10x50', '10']);
    const v = getArchitecture('vgg').build({ ...MNIST, width: 8 });
    expect(v.tensors.filter((t) => t.role === 'param' && t.name.endsWith('.weight')).map((t) => `${t.name} ${t.shape.join('x')}`)).toEqual([
      'block_1.0.weight 8x1x3x3', 'block_1.1.weight 8', 'block_1.3.weight 8x8x3x3', 'block_1.4.weight 8',
      'block_2.0.weight 16x8x3x3', 'block_2.1.weight 16', 'block_2.3.weight 16x16x3x3', 'block_2.4.weight 16',
      'classifier.0.weight 128x784', 'classifier.3.weight 128x128', 'classifier.6.weight 10x128',
    ]);
    expect(v.tensors.filter((t) => t.name.startsWith('block_1.1.')).map((t) => `${t.name.slice(10)}:${t.role}`))
      .toEqual(['weight:param', 'bias:param', 'running_mean:running_mean', 'running_var:running_var', 'num_batches_tracked:num_batches_tracked']);
    expect(v.nodes.filter((n) => n.opType === 'Dropout')).toHaveLength(2);
    const r = getArchitecture('resnet').build({ ...MNIST, width: 8 });
    expect(r.tensors.map((t) => t.name)).toContain('layer2.0.downsample.0.weight');
    expect(r.nodes.filter((n) => n.opType === 'Add')).toHaveLength(2); // two residual joins
    expect(() => getArchitecture('lenet')).toThrow(/unknown architecture "lenet"/);
  });

  it('reads each architecture\'s options back off a state dict\'s shapes', () => {
    const shapes = (g: { tensors: { name: string; shape: number[] }[] }) => g.tensors.map(({ name, shape }) => ({ name, shape }));
    const blocks = [[8, 16, 16], [24, 24]];
    const v = getArchitecture('vgg').build({ ...MNIST, blocks, hidden: [40, 20, 30] });
    expect(getArchitecture('vgg').inferOptions!(shapes(v))).toEqual({ blocks, hidden: [40, 20, 30] });
    expect(getArchitecture('mlp').inferOptions!(shapes(getArchitecture('mlp').build({ ...MNIST, hidden: [64, 32] })))).toEqual({ hidden: [64, 32] });
    expect(getArchitecture('mlp').inferOptions!(shapes(getArchitecture('mlp').build({ ...MNIST, hidden: [] })))).toEqual({ hidden: [] });
    expect(getArchitecture('resnet').inferOptions!(shapes(getArchitecture('resnet').build({ ...MNIST, width: 12 })))).toEqual({ width: 12 });
  });

  it('initialises like nn.Linear / nn.Conv2d: U(±1/√fan_in), seeded', () => {
    const g = getArchitecture('smallcnn').build(MNIST);
    const a = initialState(g, 3), b = initialState(g, 3), c = initialState(g, 4);
    const w = a.get('features.2.weight')!.data as Float32Array;
    const bound = 1 / Math.sqrt(32 * 9);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(bound / Math.sqrt(3) * 0.95);
    expect(std).toBeLessThan(bound / Math.sqrt(3) * 1.05);
    expect(b.get('features.2.weight')!.data).toEqual(w);
    expect(c.get('features.2.weight')!.data).not.toEqual(w);
  });

  it.each(listArchitectures().map((a) => a.id))('%s: inference graph runs, and its training graph fits a few digits', async (id) => {
    const g = getArchitecture(id).build({ ...MNIST, hidden: [64], width: 8 });
    const state = initialState(g, 1);
    const s = await ort.InferenceSession.create(encodeModel(inferenceModel(g, state)), { intraOpNumThreads: 1 });
    const d = await mnistSubset('train', 32);
    const out = await s.run({ [g.inputName]: new ort.Tensor('float32', d.inputs, [32, 1, 28, 28]) });
    expect(out[g.outputName].dims).toEqual([32, 10]);
    await s.release();

    const tg = await buildLoopStep(trainGraphSpec(fromArchitecture(g), 32, { type: 'adam' }));
    const runner = await StepRunner.create(tg, {
      params: new Map(tg.io.params.map((p) => [p.name, state.get(p.name)!.data as Float32Array])),
      slots: new Map(tg.io.slots.map((sl) => [`${sl.param}:${sl.slot}`, new Float32Array(sl.shape.reduce((a, b) => a * b, 1))])),
      states: new Map(tg.io.states.map((st) => [st.name, state.get(st.name)!.data as Float32Array])),
      step: 0,
    }, { threads: 1 });
    const K = 20;
    const xs = new Float32Array(K * d.inputs.length), ys = new BigInt64Array(K * 32);
    for (let k = 0; k < K; k++) { xs.set(d.inputs, k * d.inputs.length); ys.set(BigInt64Array.from(d.labels, (v) => BigInt(v)), k * 32); }
    const r = await runner.run(xs, ys, new Float32Array(K).fill(1e-2), 32, [1, 28, 28]);
    await runner.release();
    expect(r.losses[K - 1]).toBeLessThan(r.losses[0] * 0.8);
    expect(r.corrects[K - 1]).toBeGreaterThan(r.corrects[0]);
  });

  it('Dropout in a training graph: masks fed per step from a seed, same seed → same weights', async () => {
    const g = getArchitecture('mlp').build({ ...MNIST, hidden: [64] });
    // insert Dropout(0.5) after the hidden ReLU
    const nodes = g.nodes.map((n) => ({ ...n, input: [...n.input] }));
    const relu = nodes.find((n) => n.opType === 'Relu')!;
    const ratio = { name: 'drop_ratio', dataType: 1, dims: [], rawData: new Uint8Array(new Float32Array([0.5]).buffer) };
    const i = nodes.indexOf(relu);
    nodes.splice(i + 1, 0, { opType: 'Dropout', input: [relu.output[0], 'drop_ratio'], output: ['dropped'], attribute: [] });
    nodes[i + 2].input[0] = 'dropped';
    const model = { ...fromArchitecture(g), nodes, constants: [...g.constants, ratio] };
    const tg = await buildLoopStep(trainGraphSpec(model, 32, { type: 'sgd', momentum: 0.9 }));
    expect(tg.io.perStep).toHaveLength(1);
    const d = await mnistSubset('train', 32 * 4);
    const run = async (maskSeed: number) => {
      const state = initialState(g, 1);
      const runner = await StepRunner.create(tg, {
        params: new Map(tg.io.params.map((p) => [p.name, state.get(p.name)!.data as Float32Array])),
        slots: new Map(tg.io.slots.map((sl) => [`${sl.param}:${sl.slot}`, new Float32Array(sl.shape.reduce((a, b) => a * b, 1))])),
        states: new Map(), step: 0,
      }, { threads: 1, maskSeed });
      const r = await runner.run(d.inputs, BigInt64Array.from(d.labels, (v) => BigInt(v)), new Float32Array(4).fill(0.05), 32, [1, 28, 28]);
      await runner.release();
      expect(Array.from(r.losses).every(Number.isFinite)).toBe(true);
      return runner.state.params.get('layers.0.weight')!;
    };
    const a = await run(1), b = await run(1), c = await run(2);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('architecture info and the request schema', () => {
  it('lists every architecture with its options and layer description', async () => {
    const { architectureInfo } = await import('../../../main/engine/models');
    const info = architectureInfo();
    expect(info.map((i) => i.id)).toEqual(['mlp', 'smallcnn', 'vgg', 'resnet']);
    expect(info.find((i) => i.id === 'mlp')!.options).toEqual(['hidden']);
    expect(info.find((i) => i.id === 'smallcnn')!.layers).toMatch(/^Conv\(1→32,3,pad1\)/);
    expect(info.find((i) => i.id === 'vgg')!.options).toEqual(['width', 'hidden']);
  });
  it('accepts a well-formed request and refuses a bad one with the field named', async () => {
    const { TrainRequestSchema } = await import('../../../main/engine/train');
    const ok = { arch: 'smallcnn', dataset: 'mnist:train', epochs: 2, batchSize: 128, optimizer: 'sgd', lr: 0.05, seed: 1, outDir: '/tmp/x' };
    expect(TrainRequestSchema.safeParse(ok).success).toBe(true);
    const bad = TrainRequestSchema.safeParse({ ...ok, epochs: 0 });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('epochs');
    expect(TrainRequestSchema.safeParse({ ...ok, modelFile: 'm.onnx' }).success).toBe(false);
  });
});
