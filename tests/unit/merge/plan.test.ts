// The merge plan on in-memory model headers: rule matching (first wins), gradients over the matched
// layers, copies, excludes, non-float tensors, tied groups, and the problems it reports in words.
import { describe, expect, it } from 'vitest';
import type { ModelSource, TensorInfo } from '../../../main/engine/formats/types';
import { blockCounts, blockGroups, blockPosition, buildPlan, globToRegExp, gradientAt, layerOf } from '../../../main/engine/merge/plan';
import { parseRecipe, type ResolvedRecipe } from '../../../main/engine/merge/recipe';
import type { DType } from '../../../main/engine/tensor/dtypes';

function header(path: string, tensors: [string, DType, number[]][], tied: string[][] = []): ModelSource {
  const infos: TensorInfo[] = tensors.map(([name, dtype, shape]) => ({
    name, dtype, shape, byteLength: 0, read: async () => { throw new Error('headers only'); },
  }));
  return { path, format: 'safetensors', metadata: {}, tensors: infos, tied, notes: [], close: async () => {} };
}

const NET: [string, DType, number[]][] = [
  ['features.0.weight', 'f32', [4, 1, 3, 3]], ['features.0.bias', 'f32', [4]],
  ['features.1.weight', 'f32', [4]], ['features.1.num_batches_tracked', 'i64', []],
  ['features.3.weight', 'f32', [8, 4, 3, 3]], ['features.3.bias', 'f32', [8]],
  ['classifier.1.weight', 'f32', [10, 8]], ['classifier.1.bias', 'f32', [10]],
];

function resolved(yaml: string): ResolvedRecipe {
  const recipe = parseRecipe(yaml);
  return {
    recipe, baseDir: '/m', method: recipe.method,
    models: (recipe.models ?? []).map((m) => ({ path: `/m/${m.path}`, weight: m.weight ?? 1, ...(m.parameters ? { parameters: m.parameters } : {}) })),
    base: recipe.base ? `/m/${recipe.base}` : undefined,
    parameters: recipe.parameters ?? {}, layers: recipe.layers ?? [], output: { path: `/m/${recipe.output!.path}`, dtype: recipe.output!.dtype, overwrite: false, inRunFolder: false },
  };
}

describe('helpers', () => {
  it('globs match across dots; layers drop the last name part; gradients interpolate piecewise', () => {
    expect(globToRegExp('classifier.*').test('classifier.1.weight')).toBe(true);
    expect(globToRegExp('classifier.*').test('classifierX1')).toBe(false);
    expect(globToRegExp('features.?.bias').test('features.3.bias')).toBe(true);
    expect(layerOf('features.3.weight')).toBe('features.3');
    expect(gradientAt([1, 0.5], 0)).toBe(1);
    expect(gradientAt([1, 0.5], 0.5)).toBe(0.75);
    expect(gradientAt([0, 1, 0], 0.25)).toBe(0.5);
    expect(gradientAt([0, 1, 0], 1)).toBe(0);
    expect(gradientAt(0.3, 0.9)).toBe(0.3);
  });

  it('groups tensors into blocks for the per-layer table', () => {
    expect(blockGroups(NET.map((t) => t[0])).map((g) => [g.match, g.tensors.length])).toEqual([['features.*', 6], ['classifier.*', 2]]);
  });
});

describe('buildPlan', () => {
  const a = header('/m/a.safetensors', NET);
  const b = header('/m/b.safetensors', NET);

  it('first matching rule wins; gradients spread over the layers that rule matched, in order', () => {
    const plan = buildPlan(resolved(`method: ties
models: [a.safetensors, b.safetensors]
base: base.safetensors
parameters: {density: 0.3}
layers:
  - {match: "features.3.*", parameters: {density: 0.9}}
  - {regex: "^features\\\\.", parameters: {density: [0.2, 0.6]}}
output: {path: o.safetensors}
`), { models: [a, b], base: header('/m/base.safetensors', NET) });
    expect(plan.blocking).toEqual([]);
    const d = (n: string) => plan.tensors.find((t) => t.name === n)!.params.density;
    expect(d('features.3.weight')).toBe(0.9); // the first rule, though the second matches too
    expect(d('features.0.weight')).toBe(0.2); // layer features.0: first of the second rule's two layers
    expect(d('features.0.bias')).toBe(0.2);
    expect(d('features.1.weight')).toBe(0.6); // features.1: the last layer of that rule
    expect(d('classifier.1.weight')).toBe(0.3); // no rule: the recipe's value
    const counter = plan.tensors.find((t) => t.name === 'features.1.num_batches_tracked')!;
    expect(counter.action).toEqual({ kind: 'copy', from: 0, reason: 'non-float' });
    expect(counter.outputDType).toBe('i64');
  });

  it('per-model weights by layer, copies, excludes, and their problems', () => {
    const plan = buildPlan(resolved(`method: weighted
models: [a.safetensors, b.safetensors]
layers:
  - {match: "classifier.1.bias", exclude: true}
  - {match: "classifier.*", from: 2}
  - {match: "features.0.*", weights: [[1, 3], 1, 5]}
  - {match: "nothing.*", from: 0}
output: {path: o.safetensors}
`), { models: [a, b] });
    expect(plan.excluded).toEqual(['classifier.1.bias']);
    expect(plan.blocking).toEqual([
      'layer rule 2 copies from model 2, but the recipe has 2 models (numbered from 0)',
      'layer rule 3 gives 3 weights for 2 models',
    ]);
    expect(plan.warnings).toContain('layer rule 4 (nothing.*) matches no tensor of a.safetensors');
  });

  it('reports missing and mismatched tensors in words, and tensors only other models have', () => {
    const c = header('/m/c.safetensors', [...NET.filter((t) => t[0] !== 'features.0.bias'), ['extra.weight', 'f32', [2]]].map((t) => (t[0] === 'classifier.1.weight' ? ['classifier.1.weight', 'f32', [100, 8]] : t)) as [string, DType, number[]][]);
    const plan = buildPlan(resolved('method: mean\nmodels: [a.safetensors, c.safetensors]\noutput: {path: o.safetensors}\n'), { models: [a, c] });
    expect(plan.blocking).toEqual([
      'features.0.bias is missing in c.safetensors (present in a.safetensors); exclude it or copy it with a layer rule ({match: "features.0.bias", from: 0})',
      'classifier.1.weight is 10×8 in a.safetensors but 100×8 in c.safetensors',
    ]);
    expect(plan.warnings[0]).toBe('c.safetensors has 1 tensor that a.safetensors lacks (not in the output): extra.weight');
  });

  it('keeps tied groups: the first name is merged, the others ride along', () => {
    const t = (p: string) => header(p, [['embed.weight', 'f32', [3, 4]], ['head.weight', 'f32', [3, 4]]], [['embed.weight', 'head.weight']]);
    const plan = buildPlan(resolved('method: mean\nmodels: [x.safetensors, y.safetensors]\noutput: {path: o.safetensors}\n'), { models: [t('/m/x.safetensors'), t('/m/y.safetensors')] });
    expect(plan.tensors.map((x) => [x.name, x.aliases])).toEqual([['embed.weight', ['head.weight']]]);
    expect(plan.tied).toEqual([['embed.weight', 'head.weight']]);
  });
});

const LLAMA: [string, DType, number[]][] = [
  ['model.embed_tokens.weight', 'f32', [8, 4]],
  ...[0, 1, 2].flatMap((i): [string, DType, number[]][] => [
    [`model.layers.${i}.self_attn.q_proj.weight`, 'f32', [4, 4]], [`model.layers.${i}.self_attn.k_proj.weight`, 'f32', [4, 4]],
    [`model.layers.${i}.mlp.up_proj.weight`, 'f32', [4, 4]], [`model.layers.${i}.input_layernorm.weight`, 'f32', [4]],
  ]),
  ['model.norm.weight', 'f32', [4]], ['lm_head.weight', 'f32', [8, 4]],
];

describe('gradients over the block index (mergekit\'s layer index) and per-model parameters', () => {
  it('block N of L is at N/(L−1), whatever tensor of the block; names outside numbered blocks are at 0', () => {
    const counts = blockCounts(LLAMA.map(([n]) => n));
    expect(counts.get('model.layers')).toBe(3);
    expect(blockPosition('model.layers.1.self_attn.q_proj.weight', counts)).toBe(0.5);
    expect(blockPosition('model.layers.2.mlp.up_proj.weight', counts)).toBe(1);
    expect(blockPosition('lm_head.weight', counts)).toBe(0);
  });

  it('over: blocks gives q_proj and k_proj of a block the same value; over: layers (ours) spreads over the matched layers', () => {
    const models = [header('/m/a.pt', LLAMA), header('/m/b.pt', LLAMA)];
    const at = (over: string) => {
      const plan = buildPlan(resolved(`method: slerp\nmodels: [a.pt, b.pt]\nlayers:\n  - {match: "*self_attn*", parameters: {t: [0, 1]}, over: ${over}}\noutput: {path: o.safetensors}\n`), { models });
      return (n: string) => plan.tensors.find((t) => t.name === n)!.params.t;
    };
    const blocks = at('blocks');
    expect(blocks('model.layers.1.self_attn.q_proj.weight')).toBe(0.5);
    expect(blocks('model.layers.1.self_attn.k_proj.weight')).toBe(0.5);
    const layers = at('layers');
    // Six matched layers (q and k of three blocks) in file order: k_proj of block 0 is the second of six.
    expect(layers('model.layers.0.self_attn.k_proj.weight')).toBeCloseTo(0.2, 12);
    expect(layers('model.layers.1.self_attn.q_proj.weight')).toBeCloseTo(0.4, 12);
  });

  it('per-model parameters: a rule\'s model_parameters > its parameters > the model\'s own > the recipe\'s', () => {
    const models = [header('/m/a.pt', LLAMA), header('/m/b.pt', LLAMA), header('/m/c.pt', LLAMA)];
    const plan = buildPlan(resolved(`method: ties
models: [{path: a.pt, parameters: {density: 0.3}}, b.pt, c.pt]
base: base.pt
parameters: {density: 0.5, normalize: false}
layers:
  - {match: "*mlp*", model_parameters: [{}, {density: [0.2, 0.6]}, {}], over: blocks}
  - {match: "lm_head.*", parameters: {density: 0.9}}
output: {path: o.safetensors}
`), { models, base: header('/m/base.pt', LLAMA) });
    expect(plan.blocking).toEqual([]);
    const dens = (n: string) => plan.tensors.find((t) => t.name === n)!.modelParams!.map((p) => p.density);
    expect(dens('model.layers.0.self_attn.q_proj.weight')).toEqual([0.3, 0.5, 0.5]);
    expect(dens('model.layers.1.mlp.up_proj.weight')).toEqual([0.3, 0.4, 0.5]);
    expect(dens('lm_head.weight')).toEqual([0.9, 0.9, 0.9]);
    expect(plan.tensors[0].params.normalize).toBe(false);
  });
});
