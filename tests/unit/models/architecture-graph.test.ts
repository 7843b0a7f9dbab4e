// The Graph tab for weights-only files: which built-in architecture fits a file's tensors, through the
// engine's API on real files (a checkpoint written like the trainer writes one, a PyTorch-saved CNN).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { architectureGraph, fitArchitecture } from '../../../main/engine/architecture-graph';
import { createEngine } from '../../../main/engine/engine';
import { getArchitecture, initialState } from '../../../main/engine/models';
import { writeStateDict } from '../../../main/engine/train';

const FIX = path.resolve(__dirname, '../../fixtures');

describe('architecture graphs for weights-only files', () => {
  it.each([
    ['smallcnn', { inputShape: [1, 28, 28], numClasses: 10 }],
    ['smallcnn', { inputShape: [3, 32, 32], numClasses: 10 }],
    ['mlp', { inputShape: [1, 28, 28], numClasses: 10, hidden: [64, 32] }],
    ['vgg', { inputShape: [3, 32, 32], numClasses: 100, width: 16 }],
    ['resnet', { inputShape: [1, 28, 28], numClasses: 10, width: 8 }],
  ])('finds %s from its tensors alone (%j)', (arch, options) => {
    const g = getArchitecture(arch).build(options);
    const fit = fitArchitecture(g.tensors.map((t) => ({ name: t.name, shape: t.shape })));
    expect(fit?.arch).toBe(arch);
    // the graph it draws has the same tensors as the file
    expect(getArchitecture(fit!.arch).build(fit!.options).tensors.map((t) => `${t.name}:${t.shape}`)).toEqual(g.tensors.map((t) => `${t.name}:${t.shape}`));
  });

  it('a tensor of a different shape is no fit; naming the architecture still draws it, and says it does not match', () => {
    const g = getArchitecture('smallcnn').build({ inputShape: [1, 28, 28], numClasses: 10 });
    const tensors = g.tensors.map((t) => ({ name: t.name, shape: t.name === 'classifier.1.weight' ? [64, t.shape[1]] : t.shape }));
    expect(fitArchitecture(tensors)).toBeNull();
    const shown = architectureGraph(tensors, {}, 'smallcnn');
    expect(shown).toMatchObject({ arch: 'smallcnn', matches: false });
    expect(shown.note).toMatch(/not this file's/);
    expect(shown.graph!.nodes.map((n) => n.opType)).toContain('Conv');
  });

  it('through the engine: a trained checkpoint is recognised, a PyTorch CNN of another shape is not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-graph-'));
    const g = getArchitecture('vgg').build({ inputShape: [3, 32, 32], numClasses: 10, width: 8 });
    const file = path.join(dir, 'epoch-001.safetensors');
    await writeStateDict(file, g.tensors, initialState(g, 1), { arch: 'vgg', config: JSON.stringify({ width: 8 }), input_shape: '[3,32,32]', num_classes: '10' });
    const engine = createEngine(() => {}, 'cli');
    const ckpt = await engine.call('openModel', { path: file });
    const r = await engine.call('architectureGraph', { modelId: ckpt.modelId });
    expect(r).toMatchObject({ arch: 'vgg', matches: true });
    expect(r.note).toContain('3×32×32 inputs, 10 classes, width 8');
    expect(r.graph!.inputs[0].shape).toEqual(['N', 3, 32, 32]);

    const pt = await engine.call('openModel', { path: path.join(FIX, 'merge/cnn_0.pt') });
    expect(await engine.call('architectureGraph', { modelId: pt.modelId })).toMatchObject({ arch: null, graph: null, matches: false });
    await expect(engine.call('architectureGraph', { modelId: pt.modelId, arch: 'nope' })).rejects.toThrow(/unknown architecture "nope"/);
  });
});
