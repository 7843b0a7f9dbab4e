// Interpolation curves and the loss barrier on two real MLPs trained from different seeds, and loadNet for
// every way a model can be given (ONNX, our checkpoint, weights + architecture, weights + graph).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { barrierOf, evaluateModel, evenAlphas, interpolationCurve } from '../../../main/engine/evaluate';
import { convertModel } from '../../../main/engine/convert';
import { lerpStates, loadNet, netModel, sameLayout } from '../../../main/engine/models';
import { trainModel } from '../../../main/engine/train';
import { mnistSubset, recordingContext, tempDir } from '../train/helpers';

const train = (seed: number, dir: string) => trainModel({
  arch: 'mlp', hidden: [48], dataset: 'mnist:train', epochs: 1, batchSize: 32, optimizer: 'sgd', lr: 0.05, momentum: 0.9,
  seed, threads: 2, keepFrom: 1, outDir: dir,
}, recordingContext());

describe('interpolation curves', () => {
  it('the barrier is the largest rise of the loss above the line between the endpoints', () => {
    expect(evenAlphas(5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const b = barrierOf([0, 0.25, 0.5, 0.75, 1], [1, 2, 4, 2.5, 3], [0.9, 0.6, 0.3, 0.5, 0.7]);
    expect(b.loss).toBeCloseTo(4 - 2, 12);
    expect(b.alpha).toBe(0.5);
    expect(b.accuracy).toBeCloseTo(0.8 - 0.3, 12);
    expect(barrierOf([0, 1], [1, 3], [0.5, 0.5]).loss).toBe(0);
    expect(() => barrierOf([0, 0.5], [1, 2], [0, 0])).toThrow(/endpoints/);
  });

  it('two MLPs from different seeds: the endpoints are the models themselves, the midpoint is worse', async () => {
    const [ra, rb] = [await train(1, tempDir('curve-a')), await train(2, tempDir('curve-b'))];
    const [a, b] = [await loadNet(ra.checkpoints[0]), await loadNet(rb.checkpoints[0])];
    expect(sameLayout(a, b)).toBeNull();
    const test = await mnistSubset('test', 1000);
    const curve = await interpolationCurve(a.graph, a.state, b.state, test, { steps: 5, threads: 2 });
    expect(curve.alphas).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const ea = await evaluateModel(ra.model, test), eb = await evaluateModel(rb.model, test);
    expect(curve.accuracy[0]).toBeCloseTo(ea.accuracy, 6);
    expect(curve.loss[4]).toBeCloseTo(eb.loss, 4);
    // independently trained nets: averaging their hidden units in place costs (Git Re-Basin's motivation)
    expect(curve.barrier.loss).toBeGreaterThan(0.05);
    expect(curve.loss[2]).toBeGreaterThan(Math.max(curve.loss[0], curve.loss[4]));
    // the midpoint is exactly the parameter mean
    const mid = lerpStates(a.state, b.state, 0.5);
    expect((await evaluateModel(netModel({ graph: a.graph, state: mid }), test)).loss).toBeCloseTo(curve.loss[2], 6);
  }, 300_000);
});

describe('loadNet', () => {
  it('reads an ONNX model, weights with an architecture, and weights with a graph, to the same function', async () => {
    const dir = tempDir('loadnet');
    const r = await train(3, path.join(dir, 'run'));
    const fromCheckpoint = await loadNet(r.checkpoints[0]); // records its architecture
    const pt = path.join(dir, 'w.pt');
    await convertModel(r.checkpoints[0], pt);
    await expect(loadNet(path.join(__dirname, '../../fixtures/train/mlp-sgd.safetensors'))).rejects.toThrow(/does not say which architecture/);
    const fromPt = await loadNet(pt, { arch: 'mlp' }); // hidden width read off the shapes
    expect(fromPt.graph.config).toEqual({ hidden: [48] });
    const fromOnnx = await loadNet(r.model);
    const fromGraph = await loadNet(pt, { graph: r.model });
    const test = await mnistSubset('test', 200);
    const acc = async (n: { graph: typeof fromPt.graph; state: typeof fromPt.state }) => (await evaluateModel(netModel(n), test)).loss;
    const ref = await acc(fromCheckpoint);
    for (const n of [fromPt, fromOnnx, fromGraph]) expect(await acc(n)).toBeCloseTo(ref, 5);
    await expect(loadNet(pt, { graph: path.join(__dirname, '../../fixtures/formats/tiny_cnn.onnx') })).rejects.toThrow(/not in .*tiny_cnn\.onnx/);
  }, 300_000);
});
