// BatchNorm statistics recomputed on real digits: exact against the activations themselves, and they
// repair a model whose running stats were wiped.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { evaluateModel } from '../../../main/engine/evaluate';
import { decodeModel, encodeModel, type ModelProto } from '../../../main/engine/onnx/proto';
import { floatTensor } from '../../../main/engine/onnx/builder';
import { recomputeBatchNormStats, trainModel } from '../../../main/engine/train';
import { mnistSubset, recordingContext, tempDir } from './helpers';

function tensor(m: ModelProto, name: string): Float32Array {
  return new Float32Array(new Uint8Array(m.graph.initializer.find((t) => t.name === name)!.rawData!).buffer);
}

describe('recomputeBatchNormStats', () => {
  it('gives the batch mean and unbiased variance of the activations, and repairs wiped stats', async () => {
    const train = await mnistSubset('train', 640), test = await mnistSubset('test', 400);
    const r = await trainModel({ arch: 'vgg', width: 4, dataset: train, epochs: 2, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9, seed: 3, threads: 1, outDir: tempDir('bn') }, recordingContext());
    const trained = decodeModel(readFileSync(r.model));
    const good = await evaluateModel(r.model, test);

    // one batch holding 256 digits: the stats of the first BN are those of its input over N, H, W
    const sample = { ...train, size: 256 };
    const once = await recomputeBatchNormStats(trained, sample, { batchSize: 256 });
    const bn = trained.graph.node.find((n) => n.opType === 'BatchNormalization')!;
    const probe = { ...trained, graph: { ...trained.graph, output: [{ name: bn.input[0] }] } };
    const s = await ort.InferenceSession.create(encodeModel(probe));
    const act = (await s.run({ input: new ort.Tensor('float32', train.inputs.subarray(0, 256 * 784), [256, 1, 28, 28]) }))[bn.input[0]];
    const [N, C, H, W] = act.dims.map(Number);
    const a = act.data as Float32Array;
    const mean = tensor(once, bn.input[3]), variance = tensor(once, bn.input[4]);
    for (let c = 0; c < C; c++) {
      let sum = 0, sq = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) { const v = a[(n * C + c) * H * W + i]; sum += v; sq += v * v; }
      const m = sum / (N * H * W);
      const unbiased = (sq - N * H * W * m * m) / (N * H * W - 1);
      expect(Math.abs(mean[c] - m)).toBeLessThan(1e-4 * (1 + Math.abs(m)));
      expect(Math.abs(variance[c] - unbiased)).toBeLessThan(1e-3 * (1 + unbiased));
    }

    // wipe every running stat (as a fresh BatchNorm has them), then recompute on the training digits
    const wiped: ModelProto = { ...trained, graph: { ...trained.graph, initializer: trained.graph.initializer.map((t) =>
      t.name.endsWith('running_mean') ? floatTensor(t.name, new Float32Array(t.dims[0]), t.dims)
        : t.name.endsWith('running_var') ? floatTensor(t.name, new Float32Array(t.dims[0]).fill(1), t.dims) : t) } };
    const broken = await evaluateModel(encodeModel(wiped), test);
    const repaired = await evaluateModel(encodeModel(await recomputeBatchNormStats(wiped, train, { batchSize: 100 })), test);
    expect(broken.accuracy).toBeLessThan(good.accuracy - 0.1);
    expect(repaired.accuracy).toBeGreaterThan(good.accuracy - 0.05);
  });
});
