// The permutation spec read off the graph equals the one written by hand (Git Re-Basin's PermutationSpec for
// each model), and permuting hidden units by it leaves the function unchanged.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { derivePermutationSpec, permuteState, type PermutationSpec } from '../../../main/engine/align';
import { getArchitecture, initialState, netModel, Rng } from '../../../main/engine/models';
import type { ArchitectureGraph, ArchitectureOptions, StateDict } from '../../../main/engine/models';

function net(arch: string, o: Partial<ArchitectureOptions>, seed = 1): { graph: ArchitectureGraph; state: StateDict } {
  const graph = getArchitecture(arch).build({ inputShape: [1, 8, 8], numClasses: 10, ...o });
  const state = initialState(graph, seed);
  // BatchNorm with non-trivial statistics, so that forgetting to permute them would show
  const rng = new Rng(seed + 100);
  for (const t of graph.tensors) {
    if (t.role === 'running_mean' || t.role === 'running_var' || (t.init.kind === 'const' && t.dtype === 'f32')) {
      const d = state.get(t.name)!.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] = t.role === 'running_var' ? 0.5 + rng.next() : rng.uniform(-0.5, 0.5);
    }
  }
  return { graph, state };
}

/** The spec as plain data: group → its sorted "tensor:axis/block" list. */
function summary(spec: PermutationSpec): Record<string, string[]> {
  return Object.fromEntries(spec.groups.map((g) => [`${g.name}(${g.size})`, g.axes.map((a) => `${a.tensor}:${a.axis}${a.block > 1 ? `/${a.block}` : ''}`).sort()]));
}

async function outputs(n: { graph: ArchitectureGraph; state: StateDict }, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(netModel(n), { intraOpNumThreads: 1 });
  const r = await s.run({ [n.graph.inputName]: new ort.Tensor('float32', x, [4, ...n.graph.inputShape]) });
  await s.release();
  return r[n.graph.outputName].data as Float32Array;
}

async function samePermuted(n: { graph: ArchitectureGraph; state: StateDict }, spec: PermutationSpec) {
  const rng = new Rng(7);
  const perms = Object.fromEntries(spec.groups.map((g) => [g.name, rng.permutation(g.size)]));
  const permuted = permuteState(n.state, spec, perms);
  const x = Float32Array.from({ length: 4 * 64 }, () => rng.next());
  const [a, b] = [await outputs(n, x), await outputs({ graph: n.graph, state: permuted }, x)];
  let maxDiff = 0, changed = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  for (const [name, t] of permuted) if (t.data !== n.state.get(name)!.data) changed++;
  expect(maxDiff).toBeLessThan(1e-5);
  expect(changed).toBeGreaterThan(0);
}

describe('permutation spec from the graph', () => {
  it('MLP: one group per hidden layer, out axis of its Linear and in axis of the next', async () => {
    const n = net('mlp', { hidden: [12, 9] });
    const spec = await derivePermutationSpec(n);
    expect(summary(spec)).toEqual({
      'P_layers.0(12)': ['layers.0.bias:0', 'layers.0.weight:0', 'layers.2.weight:1'],
      'P_layers.2(9)': ['layers.2.bias:0', 'layers.2.weight:0', 'layers.4.weight:1'],
    });
    expect(spec.fixed.map((f) => f.producers.join())).toEqual(['layers.4']);
    expect(spec.unsupported).toEqual([]);
    expect(spec.groups[0].axes.find((a) => a.tensor === 'layers.2.weight')!.role).toBe('in');
    await samePermuted(n, spec);
  });

  it('SmallCNN: the last conv\'s channels become blocks of H×W inputs of the first Linear after Flatten', async () => {
    const n = net('smallcnn', {});
    const spec = await derivePermutationSpec(n);
    expect(summary(spec)).toEqual({
      'P_features.0(32)': ['features.0.bias:0', 'features.0.weight:0', 'features.2.weight:1'],
      'P_features.2(64)': ['classifier.1.weight:1/16', 'features.2.bias:0', 'features.2.weight:0'],
      'P_classifier.1(256)': ['classifier.1.bias:0', 'classifier.1.weight:0', 'classifier.3.weight:1'],
    });
    await samePermuted(n, spec);
  });

  it('VGG with BatchNorm: each conv\'s group holds its BatchNorm\'s parameters and running statistics', async () => {
    const n = net('vgg', { width: 4, hidden: [16, 12] });
    const spec = await derivePermutationSpec(n);
    const bn = (p: string) => [`${p}.bias:0`, `${p}.running_mean:0`, `${p}.running_var:0`, `${p}.weight:0`];
    expect(summary(spec)).toEqual({
      'P_block_1.0(4)': [...bn('block_1.1'), 'block_1.0.bias:0', 'block_1.0.weight:0', 'block_1.3.weight:1'].sort(),
      'P_block_1.3(4)': [...bn('block_1.4'), 'block_1.3.bias:0', 'block_1.3.weight:0', 'block_2.0.weight:1'].sort(),
      'P_block_2.0(8)': [...bn('block_2.1'), 'block_2.0.bias:0', 'block_2.0.weight:0', 'block_2.3.weight:1'].sort(),
      'P_block_2.3(8)': [...bn('block_2.4'), 'block_2.3.bias:0', 'block_2.3.weight:0', 'classifier.0.weight:1/4'].sort(),
      'P_classifier.0(16)': ['classifier.0.bias:0', 'classifier.0.weight:0', 'classifier.3.weight:1'],
      'P_classifier.3(12)': ['classifier.3.bias:0', 'classifier.3.weight:0', 'classifier.6.weight:1'],
    });
    await samePermuted(n, spec);
  });

  it('ResNet: residual Adds join the block input\'s and output\'s permutations into one group', async () => {
    const n = net('resnet', { width: 4 });
    const spec = await derivePermutationSpec(n);
    const bn = (p: string) => [`${p}.bias:0`, `${p}.running_mean:0`, `${p}.running_var:0`, `${p}.weight:0`];
    expect(summary(spec)).toEqual({
      'P_conv1(4)': [...bn('bn1'), 'conv1.weight:0', ...bn('layer1.0.bn2'), 'layer1.0.conv1.weight:1', 'layer1.0.conv2.weight:0',
        'layer2.0.conv1.weight:1', 'layer2.0.downsample.0.weight:1'].sort(),
      'P_layer1.0.conv1(4)': [...bn('layer1.0.bn1'), 'layer1.0.conv1.weight:0', 'layer1.0.conv2.weight:1'].sort(),
      'P_layer2.0.conv1(8)': [...bn('layer2.0.bn1'), 'layer2.0.conv1.weight:0', 'layer2.0.conv2.weight:1'].sort(),
      'P_layer2.0.conv2(8)': [...bn('layer2.0.bn2'), ...bn('layer2.0.downsample.1'), 'fc.weight:1', 'layer2.0.conv2.weight:0', 'layer2.0.downsample.0.weight:0'].sort(),
    });
    expect(spec.groups[0].producers).toEqual(['conv1', 'layer1.0.conv2']);
    await samePermuted(n, spec);
  });

  it('an op it does not understand (LRN across channels) leaves that axis unpermuted and is reported', async () => {
    const n = net('smallcnn', {});
    const relu = n.graph.nodes.findIndex((x) => x.opType === 'Relu');
    const r = n.graph.nodes[relu];
    const lrn = { name: 'lrn', opType: 'LRN', input: [r.output[0]], output: ['lrn_out'], attribute: [{ name: 'size', type: 2, i: 3 }] };
    const nodes = [...n.graph.nodes.slice(0, relu + 1), lrn, ...n.graph.nodes.slice(relu + 1).map((x) => ({ ...x, input: x.input.map((i) => (i === r.output[0] ? 'lrn_out' : i)) }))];
    const withLrn = { graph: { ...n.graph, nodes }, state: n.state };
    const spec = await derivePermutationSpec(withLrn);
    expect(spec.unsupported).toEqual([{ node: 'lrn', opType: 'LRN', message: 'LRN is not an op the permutation spec follows' }]);
    expect(spec.fixed).toContainEqual({ producers: ['features.0'], reason: 'meets LRN (lrn), which the spec does not understand' });
    expect(spec.groups.map((g) => g.name)).toEqual(['P_features.2', 'P_classifier.1']);
    await samePermuted(withLrn, spec);
  });
});
