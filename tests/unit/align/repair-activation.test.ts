// BatchNorm reset against torch.optim.swa_utils.update_bn itself (fixture by scripts/fixtures/make_align_fixtures.py
// on 80 real digits), activation matching recovering a known shuffle, layer matching, and bad input.
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  activationMatching, ActivationDataError, alignNets, derivePermutationSpec, layerStatistics, loadOther, matchLayers, mixStats, repairState, resetBatchNorm,
} from '../../../main/engine/align';
import type { Dataset } from '../../../main/engine/data/types';
import { openModel } from '../../../main/engine/formats/registry';
import { loadNet, readStateFile } from '../../../main/engine/models';

const DIR = path.join(__dirname, '../../fixtures/align');
const truth = (JSON.parse(readFileSync(path.join(DIR, 'reference.json'), 'utf8')) as Record<string, { truth: Record<string, number[]> }>).vgg.truth;

async function digits(): Promise<{ data: Dataset; expected: Map<string, Float32Array | BigInt64Array> }> {
  const src = await openModel(path.join(DIR, 'bn_update.safetensors'));
  const expected = new Map<string, Float32Array | BigInt64Array>();
  let inputs = new Float32Array(0);
  for (const t of src.tensors) {
    const b = await t.read();
    const copy = new Uint8Array(b).buffer;
    if (t.name === 'inputs') inputs = new Float32Array(copy);
    else expected.set(t.name, t.dtype === 'i64' ? new BigInt64Array(copy) : new Float32Array(copy));
  }
  await src.close();
  const size = inputs.length / 64;
  return { data: { id: 'digits8x8', inputShape: [1, 8, 8], numClasses: 10, classNames: [], size, inputs, labels: new Int32Array(size) }, expected };
}

describe('BatchNorm repair', () => {
  it('reset gives exactly what torch.optim.swa_utils.update_bn gives (batches of 32, a smaller last one)', async () => {
    const { data, expected } = await digits();
    const b = await loadNet(path.join(DIR, 'vgg_b.safetensors'));
    const reset = await resetBatchNorm(b.graph, b.state, data, { batchSize: 32 });
    let checked = 0;
    for (const [name, want] of expected) {
      const got = reset.get(name)!.data;
      if (want instanceof BigInt64Array) { expect(got).toEqual(want); continue; }
      for (let i = 0; i < want.length; i++) expect(Math.abs((got as Float32Array)[i] - want[i])).toBeLessThan(2e-5 * (1 + Math.abs(want[i])));
      checked++;
    }
    expect(checked).toBe(8); // 4 BatchNorms × mean and var
  });

  it('REPAIR moves each hidden layer\'s statistics to the goal it is given', async () => {
    const { data } = await digits();
    const a = await loadNet(path.join(DIR, 'vgg_a.safetensors'));
    const goal = mixStats([await layerStatistics(a.graph, a.state, data)], [1]);
    expect([...goal.keys()].length).toBe(2); // the classifier's two hidden Linears (the convs have BatchNorm)
    for (const s of goal.values()) { s.std.fill(2); s.mean.fill(0.5); }
    const repaired = await repairState(a.graph, a.state, goal, data);
    const after = await layerStatistics(a.graph, repaired, data);
    for (const s of after.values()) {
      // eval-mode statistics after the fuse: close to the goal (the reset pass normalised with batch statistics)
      for (const v of s.mean) expect(Math.abs(v - 0.5)).toBeLessThan(0.05);
      for (const v of s.std) expect(Math.abs(v - 2)).toBeLessThan(0.1);
    }
  });
});

describe('activation matching', () => {
  it('recovers the shuffle that made model B from model A', async () => {
    const { data } = await digits();
    const a = await loadNet(path.join(DIR, 'vgg_a.safetensors')), b = await loadNet(path.join(DIR, 'vgg_b.safetensors'));
    const spec = await derivePermutationSpec(a);
    const r = await activationMatching(spec, a.graph, a.state, b.state, data);
    let right = 0, all = 0;
    for (const g of spec.groups) { all += g.size; right += [...r.perms[g.name]].filter((x, i) => x === truth[g.name][i]).length; }
    expect(right / all).toBeGreaterThan(0.3); // far above chance (1/6 … 1/12) on noisy untrained nets
    expect(r.distance.after).toBeLessThan(r.distance.before);
    for (const sim of ['pearson'] as const) {
      const p = await activationMatching(spec, a.graph, a.state, b.state, data, { similarity: sim });
      expect(p.distance.after).toBeLessThan(p.distance.before);
    }
  });

  it('refuses a sample too small for the widest group, and data of the wrong shape', async () => {
    const { data } = await digits();
    const a = await loadNet(path.join(DIR, 'vgg_a.safetensors')), b = await loadNet(path.join(DIR, 'vgg_b.safetensors'));
    const spec = await derivePermutationSpec(a);
    await expect(activationMatching(spec, a.graph, a.state, b.state, data, { samples: 5 })).rejects.toThrow(ActivationDataError);
    await expect(activationMatching(spec, a.graph, a.state, b.state, data, { samples: 5 })).rejects.toThrow(/P_classifier.0 \(12 units\) needs at least 12 activation rows; 5 examples .* give 5 — use at least 12 examples/);
    await expect(activationMatching(spec, a.graph, a.state, b.state, { ...data, inputShape: [1, 4, 16] , size: 40 }, {})).resolves.toBeTruthy();
    await expect(activationMatching(spec, a.graph, a.state, b.state, { ...data, inputShape: [64, 2], size: 40 })).rejects.toThrow(/shape \[64, 2\]/);
  });
});

describe('layer matching and mismatched models', () => {
  it('lines up tensors by name, then by order and shape, and takes edits', () => {
    const ref = [{ name: 'block_1.0.weight', shape: [4, 1, 3, 3] }, { name: 'block_1.0.bias', shape: [4] }, { name: 'fc.weight', shape: [10, 4] }, { name: 'x', shape: [3] }];
    const other = [{ name: 'features.0.weight', shape: [4, 1, 3, 3] }, { name: 'features.0.bias', shape: [4] }, { name: 'fc.weight', shape: [10, 5] }];
    const m = matchLayers(ref, other);
    expect(m.rows.map((r) => [r.reference, r.other, r.status])).toEqual([
      ['block_1.0.weight', 'features.0.weight', 'renamed'], ['block_1.0.bias', 'features.0.bias', 'renamed'],
      ['fc.weight', 'fc.weight', 'shape differs'], ['x', undefined, 'missing'],
    ]);
    const edited = matchLayers(ref, other, { rename: { 'block_1.0.bias': 'features.0.bias' }, exclude: ['x'] });
    expect(edited.rows[3].status).toBe('excluded');
  });

  it('models of different architectures: a clear error naming the first mismatch', async () => {
    const a = await loadNet(path.join(DIR, 'vgg_a.safetensors'));
    await expect(loadOther(a, path.join(DIR, 'mlp_a.safetensors'))).rejects.toThrow(/is not the same architecture as the reference: .*"block_1\.0\.weight"/);
    const mlp = await loadNet(path.join(DIR, 'mlp_a.safetensors'));
    await expect(alignNets(a, [mlp], { method: 'weight' })).rejects.toThrow(/cannot align .*mlp_a.safetensors to .*vgg_a.safetensors: .*has no tensor "block_1.0.weight"/);
  });

  it('weights with other names are read into the reference\'s graph by order and shape', async () => {
    const a = await loadNet(path.join(DIR, 'vgg_a.safetensors'));
    const { writeSource, renamedSource } = await import('../../../main/engine/align');
    const src = await openModel(path.join(DIR, 'vgg_b.safetensors'));
    const renames = new Map(src.tensors.map((t) => [t.name, t.name.replace(/^block_(\d)/, 'features$1')]));
    const out = path.join(process.env.TMPDIR ?? '/tmp', `renamed-${process.pid}.safetensors`);
    await writeSource({ ...renamedSource(src, renames), metadata: {} }, out);
    await src.close();
    const { net, renames: used } = await loadOther(a, out);
    expect(used?.get('features1.0.weight')).toBe('block_1.0.weight');
    const direct = await readStateFile(path.join(DIR, 'vgg_b.safetensors'), a.graph.tensors, 'vgg');
    expect(net.state.get('block_2.3.weight')!.data).toEqual(direct.get('block_2.3.weight')!.data);
  });
});
