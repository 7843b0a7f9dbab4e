// Parity with PyTorch 1.13 (fixtures by scripts/fixtures/make_train_fixtures.py): from PyTorch's initial
// weights and batches, our first-step gradients and our weights after 20 optimiser steps match within 1e-4.
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildLoopStep, buildSingleStep } from '../../../main/engine/autodiff/train-step';
import { safetensorsReader } from '../../../main/engine/formats/safetensors';
import { getArchitecture } from '../../../main/engine/models/registry';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { fromArchitecture, trainGraphSpec, type TrainableModel } from '../../../main/engine/train/model-spec';
import { StepRunner } from '../../../main/engine/train/step-runner';
import type { OptimizerConfig } from '../../../main/engine/autodiff/optimizers';

const FIXTURES = path.join(__dirname, '../../fixtures/train');

interface Fixture {
  config: { arch: string; options: { hidden?: number[]; width?: number }; inputShape: number[]; batch: number; steps: number; optimizer: OptimizerConfig['type']; lr: number; momentum?: number; nesterov?: boolean; weight_decay?: number };
  tensors: Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>;
}

async function load(name: string): Promise<Fixture> {
  const src = await safetensorsReader.open(path.join(FIXTURES, `${name}.safetensors`));
  const tensors = new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>();
  for (const t of src.tensors) {
    const bytes = new Uint8Array(await t.read()); // plain aligned copy
    tensors.set(t.name, { shape: t.shape, data: t.dtype === 'i64' ? new BigInt64Array(bytes.buffer) : toFloat32(bytes, t.dtype) });
  }
  await src.close();
  return { config: JSON.parse(src.metadata.config), tensors };
}

function setup(f: Fixture): { model: TrainableModel; opt: OptimizerConfig } {
  const c = f.config;
  const g = getArchitecture(c.arch).build({ inputShape: c.inputShape, numClasses: 10, ...c.options });
  return {
    model: fromArchitecture(g),
    opt: { type: c.optimizer, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weight_decay },
  };
}

function f32(f: Fixture, name: string): Float32Array { return f.tensors.get(name)!.data as Float32Array; }

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CASES = ['mlp-sgd', 'mlp-adam', 'mlp-adamw', 'smallcnn-sgd', 'vgg-bn-sgd', 'resnet-sgd'];

describe('parity with PyTorch', () => {
  it.each(CASES)('%s: state-dict names and shapes are PyTorch\'s', async (name) => {
    const f = await load(name);
    const { model } = setup(f);
    const ours = model.tensors.map((t) => `${t.name}:${t.shape.join('x')}`);
    const theirs = [...f.tensors.keys()].filter((k) => k.startsWith('init.')).map((k) => `${k.slice(5)}:${f.tensors.get(k)!.shape.join('x')}`);
    expect(ours).toEqual(theirs);
  });

  it.each(CASES)('%s: first-step gradients match within 1e-4', async (name) => {
    const f = await load(name);
    const { model, opt } = setup(f);
    const B = f.config.batch;
    const tg = await buildSingleStep(trainGraphSpec(model, B, opt));
    const s = await ort.InferenceSession.create((await import('../../../main/engine/onnx/proto')).encodeModel(tg.model), { intraOpNumThreads: 1 });
    const x = f32(f, 'batches.x').subarray(0, B * f.config.inputShape.reduce((a, b) => a * b, 1));
    const y = (f.tensors.get('batches.y')!.data as BigInt64Array).subarray(0, B);
    const feeds: Record<string, ort.Tensor> = {
      [model.inputName]: new ort.Tensor('float32', x, [B, ...f.config.inputShape]),
      labels: new ort.Tensor('int64', y, [B]),
      lr: new ort.Tensor('float32', new Float32Array([f.config.lr]), []),
      step: new ort.Tensor('float32', new Float32Array([1]), []),
    };
    for (const p of tg.io.params) feeds[tg.io.paramIn(p.name)] = new ort.Tensor('float32', f32(f, `init.${p.name}`), p.shape);
    for (const sl of tg.io.slots) feeds[sl.input] = new ort.Tensor('float32', new Float32Array(sl.shape.reduce((a, b) => a * b, 1)), sl.shape);
    for (const st of tg.io.states) feeds[tg.io.stateIn(st.name)] = new ort.Tensor('float32', f32(f, `init.${st.name}`), st.shape);
    const r = await s.run(feeds);
    expect(Math.abs((r.loss.data as Float32Array)[0] - f32(f, 'losses')[0])).toBeLessThan(1e-5);
    for (const p of tg.io.params) {
      expect(maxDiff(r[tg.io.gradOut(p.name)].data as Float32Array, f32(f, `grad.${p.name}`)), p.name).toBeLessThan(1e-4);
    }
    await s.release();
  });

  it.each(CASES)('%s: weights (and BatchNorm running stats) after 20 steps match within 1e-4', async (name) => {
    const f = await load(name);
    const { model, opt } = setup(f);
    const B = f.config.batch, K = f.config.steps;
    const tg = await buildLoopStep(trainGraphSpec(model, B, opt));
    const params = new Map(tg.io.params.map((p) => [p.name, f32(f, `init.${p.name}`).slice()]));
    const states = new Map(tg.io.states.map((s) => [s.name, f32(f, `init.${s.name}`).slice()]));
    const slots = new Map(tg.io.slots.map((s) => [`${s.param}:${s.slot}`, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
    const runner = await StepRunner.create(tg, { params, slots, states, step: 0 }, { threads: 1 });
    // two calls (13 + 7 steps) so the chunking across calls is exercised too
    const per = B * f.config.inputShape.reduce((a, b) => a * b, 1);
    const xs = f32(f, 'batches.x'), ys = f.tensors.get('batches.y')!.data as BigInt64Array;
    const losses: number[] = [];
    for (const [a, b] of [[0, 13], [13, K]]) {
      const r = await runner.run(xs.subarray(a * per, b * per), ys.subarray(a * B, b * B), new Float32Array(b - a).fill(f.config.lr), B, f.config.inputShape);
      losses.push(...r.losses);
    }
    await runner.release();
    const theirLosses = f32(f, 'losses');
    losses.forEach((l, i) => expect(Math.abs(l - theirLosses[i])).toBeLessThan(1e-4));
    for (const p of tg.io.params) expect(maxDiff(runner.state.params.get(p.name)!, f32(f, `final.${p.name}`)), p.name).toBeLessThan(1e-4);
    for (const s of tg.io.states) expect(maxDiff(runner.state.states.get(s.name)!, f32(f, `final.${s.name}`)), s.name).toBeLessThan(1e-4);
  });
});
