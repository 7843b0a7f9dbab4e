// The merge plan on in-memory model headers: rule matching (first wins), gradients over the matched
// layers, copies, excludes, non-float tensors, tied groups, and the problems it reports in words.
import { describe, expect, it } from 'vitest';
import type { ModelSource, TensorInfo } from '../../../main/engine/formats/types';
import { blockGroups, buildPlan, globToRegExp, gradientAt, layerOf } from '../../../main/engine/merge/plan';
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
    models: (recipe.models ?? []).map((m) => ({ path: `/m/${m.path}`, weight: m.weight ?? 1 })),
    base: recipe.base ? `/m/${recipe.base}` : undefined,
    parameters: recipe.parameters ?? {}, layers: recipe.layers ?? [], output: { path: `/m/${recipe.output.path}`, dtype: recipe.output.dtype },
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
