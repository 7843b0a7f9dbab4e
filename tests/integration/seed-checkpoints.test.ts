// State dicts that real PyTorch saved from seed 002's SmallCNN and seed 001's VGG (MNIST, 1×28×28) work with
// `--arch smallcnn` / `--arch vgg` as they are: they load, evaluate to PyTorch's own logits, merge to
// PyTorch's mean, and fine-tune. The checkpoints (3.2 M parameters each) are written at test time by
// scripts/fixtures/make_seed_checkpoints.py with Debian's torch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadDataset } from '../../main/engine/data';
import { encodeModel } from '../../main/engine/onnx/proto';
import { inferenceModel, loadArchWeights } from '../../main/engine/models';
import { readStateDict } from '../../main/engine/train';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'main/cli.ts');
const PYTHON = '/usr/bin/python3';
const N = 64; // examples whose logits are compared

const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Reference { [model: string]: { names?: string[]; logits: number[]; accuracy: number } }

let dir: string;
let ref: Reference;
let inputs: Float32Array;

async function ourLogits(file: string, arch: string): Promise<Float32Array> {
  const { graph, state } = await loadArchWeights(file, { arch });
  const s = await ort.InferenceSession.create(encodeModel(inferenceModel(graph, state)), { intraOpNumThreads: 2 });
  const out = await s.run({ [graph.inputName]: new ort.Tensor('float32', inputs, [N, 1, 28, 28]) });
  await s.release();
  return out[graph.outputName].data as Float32Array;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!hasTorch)('seed checkpoints saved by PyTorch', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-seed-'));
    const test = await loadDataset('mnist:test');
    inputs = test.inputs.slice(0, N * 784);
    const inputsFile = path.join(dir, 'inputs.f32'), labelsFile = path.join(dir, 'labels.i32');
    fs.writeFileSync(inputsFile, Buffer.from(test.inputs.buffer, test.inputs.byteOffset, test.inputs.byteLength));
    fs.writeFileSync(labelsFile, Buffer.from(test.labels.buffer, test.labels.byteOffset, test.labels.byteLength));
    const r = spawnSync(PYTHON, [path.join(ROOT, 'scripts/fixtures/make_seed_checkpoints.py'), dir, inputsFile, labelsFile, String(test.size)], { encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`make_seed_checkpoints.py failed: ${r.stderr}`);
    ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
  }, 300_000);
  afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  it('seed 002\'s SmallCNN: our names are PyTorch\'s, and our logits are PyTorch\'s within 1e-4', async () => {
    const { graph } = await loadArchWeights(path.join(dir, 'smallcnn_a.pt'), { arch: 'smallcnn' });
    expect(graph.tensors.map((t) => t.name)).toEqual(ref.smallcnn_a.names);
    expect(maxDiff(await ourLogits(path.join(dir, 'smallcnn_a.pt'), 'smallcnn'), ref.smallcnn_a.logits)).toBeLessThan(1e-4);
  });

  it('seed 001\'s VGG with BatchNorm: --arch vgg reads its blocks and classifier off the shapes; logits are PyTorch\'s', async () => {
    const { graph } = await loadArchWeights(path.join(dir, 'vgg.pt'), { arch: 'vgg' });
    expect(graph.tensors.map((t) => t.name)).toEqual(ref.vgg.names);
    expect(graph.config).toMatchObject({ blocks: [[16, 16], [32, 32]], hidden: [64, 64] });
    expect(maxDiff(await ourLogits(path.join(dir, 'vgg.pt'), 'vgg'), ref.vgg.logits)).toBeLessThan(1e-4);
    const r = cli('eval', path.join(dir, 'vgg.pt'), '--arch', 'vgg', '--dataset', 'mnist:test', '--json');
    expect(r.code, r.err).toBe(0);
    const ev = JSON.parse(r.out) as { accuracy: number; n: number };
    expect(ev.n).toBe(2000);
    expect(Math.abs(ev.accuracy - ref.vgg.accuracy)).toBeLessThanOrEqual(1 / 2000);
  }, 300_000);

  it('eval --arch smallcnn takes the .pt as it is; its accuracy on mnist:test is PyTorch\'s', () => {
    const r = cli('eval', path.join(dir, 'smallcnn_a.pt'), '--arch', 'smallcnn', '--dataset', 'mnist:test', '--json');
    expect(r.code, r.err).toBe(0);
    const ev = JSON.parse(r.out) as { accuracy: number; n: number };
    expect(ev.n).toBe(2000);
    // the same 2,000 digits through PyTorch: at most one near-tie may fall the other way in float32
    expect(Math.abs(ev.accuracy - ref.smallcnn_a.accuracy)).toBeLessThanOrEqual(1 / 2000);
    expect(ev.accuracy).toBeGreaterThan(0.5); // 120 PyTorch SGD steps: far above chance
  }, 300_000);

  it('merges the two .pt by their mean (recipe), and the merge gives PyTorch\'s mean model\'s logits', async () => {
    const recipe = path.join(dir, 'mean.yaml');
    fs.writeFileSync(recipe, 'method: mean\nmodels: [smallcnn_a.pt, smallcnn_b.pt]\noutput: {path: mean.pt}\n');
    const r = cli('merge', recipe, '--json');
    expect(r.code, r.err).toBe(0);
    expect(maxDiff(await ourLogits(path.join(dir, 'mean.pt'), 'smallcnn'), ref.mean.logits)).toBeLessThan(1e-4);
  }, 300_000);

  it('fine-tunes from the .pt: train --arch smallcnn --init-from starts at its weights exactly', async () => {
    const out = path.join(dir, 'finetune');
    const r = cli('train', '--arch', 'smallcnn', '--init-from', path.join(dir, 'smallcnn_a.pt'), '--dataset', 'mnist', '--task', 'subset:0-1',
      '--epochs', '1', '--batch-size', '500', '--lr', '0.01', '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const { graph, state } = await loadArchWeights(path.join(dir, 'smallcnn_a.pt'), { arch: 'smallcnn' });
    const init = await readStateDict(path.join(out, 'init.safetensors'), graph.tensors);
    for (const [name, t] of state) expect(init.get(name)!.data, name).toEqual(t.data);
    expect(fs.existsSync(path.join(out, 'model.onnx'))).toBe(true);
  }, 300_000);
});
