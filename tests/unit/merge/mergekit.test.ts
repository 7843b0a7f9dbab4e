// mergekit interop: importing its common configs, exporting ours, and what cannot be carried over. The
// linear forms of EMA and add_difference are checked by running both recipes on real files.
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/jobs/context';
import { runMerge } from '../../../main/engine/merge/executor';
import { exportMergekit, importMergekit } from '../../../main/engine/merge/mergekit';
import { parseRecipe, resolveRecipe, type Recipe } from '../../../main/engine/merge/recipe';
import { readModel, smallNet, writeModel, tempDir } from './model-files';

const SLERP = `
slices:
  - sources:
      - model: org/model-a
        layer_range: [0, 32]
      - model: org/model-b
        layer_range: [0, 32]
merge_method: slerp
base_model: org/model-a
parameters:
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
dtype: bfloat16
`;

const TIES = `
models:
  - model: base
  - model: math
    parameters: {density: 0.5, weight: 0.5}
  - model: code
    parameters: {density: 0.5, weight: 0.3}
merge_method: ties
base_model: base
parameters:
  normalize: true
  int8_mask: true
dtype: float16
`;

describe('importMergekit', () => {
  it('imports the usual slerp config: models from the slice, filters as layer rules, dtype', () => {
    const { recipe, notCarried } = importMergekit(SLERP, { output: 'out.safetensors' });
    expect(recipe.method).toBe('slerp');
    expect(recipe.models?.map((m) => m.path)).toEqual(['org/model-a', 'org/model-b']);
    expect(recipe.parameters).toEqual({ t: 0.5 });
    expect(recipe.layers).toEqual([
      { match: '*self_attn*', parameters: { t: [0, 0.5, 0.3, 0.7, 1] } },
      { match: '*mlp*', parameters: { t: [1, 0.5, 0.7, 0.3, 0] } },
    ]);
    expect(recipe.output).toEqual({ path: 'out.safetensors', dtype: 'bf16' });
    expect(notCarried.some((n) => n.startsWith('slices'))).toBe(true);
  });

  it('imports TIES with per-model weights and density, and lists what it dropped', () => {
    const { recipe, notCarried } = importMergekit(TIES);
    expect(recipe.method).toBe('ties');
    expect(recipe.base).toBe('base');
    expect(recipe.models).toEqual([{ path: 'math', weight: 0.5 }, { path: 'code', weight: 0.3 }]);
    expect(recipe.parameters).toEqual({ density: 0.5 });
    expect(recipe.output).toEqual({ path: 'merged.safetensors', dtype: 'f16' });
    expect(notCarried).toContain('parameters.int8_mask: not used here');
    expect(notCarried.some((n) => n.startsWith('output:'))).toBe(true);
  });

  it('maps linear to weighted, or to sum without normalisation; refuses unknown methods', () => {
    expect(importMergekit('merge_method: linear\nmodels: [{model: a, parameters: {weight: 2}}, {model: b}]\n').recipe).toMatchObject({ method: 'weighted', models: [{ path: 'a', weight: 2 }, { path: 'b', weight: 1 }] });
    expect(importMergekit('merge_method: linear\nparameters: {normalize: false}\nmodels: [{model: a}, {model: b}]\n').recipe.method).toBe('sum');
    expect(() => importMergekit('merge_method: passthrough\nmodels: [{model: a}]\n')).toThrow(/no equivalent here/);
  });
});

describe('exportMergekit', () => {
  it('exports TIES with filters and says what it could not carry', () => {
    const recipe = parseRecipe(`method: dare_ties
models: [{path: a.pt, weight: 1}, {path: b.pt, weight: 2}]
base: base.pt
parameters: {density: 0.4, lambda: 1, seed: 3}
layers:
  - {match: "*attn*", parameters: {density: [0.2, 0.8]}}
  - {match: "head.*", from: 0}
output: {path: out.safetensors, dtype: bf16}
`);
    const { yaml, notCarried } = exportMergekit(recipe);
    const cfg = parse(yaml);
    expect(cfg).toEqual({
      merge_method: 'dare_ties',
      base_model: 'base.pt',
      models: [{ model: 'a.pt', parameters: { weight: 1 } }, { model: 'b.pt', parameters: { weight: 2 } }],
      parameters: { density: [{ filter: 'attn', value: [0.2, 0.8] }, { value: 0.4 }], lambda: 1 },
      dtype: 'bfloat16',
    });
    expect(notCarried.some((n) => n.includes('seed'))).toBe(true);
    expect(notCarried.some((n) => n.includes('head.*') && n.includes('copying'))).toBe(true);
    // …and it imports back to the same method, weights and filtered parameter.
    const back = importMergekit(yaml).recipe;
    expect(back.method).toBe('dare_ties');
    expect(back.layers).toEqual([{ match: '*attn*', parameters: { density: [0.2, 0.8] } }]);
  });

  it('EMA and add_difference export as exact linear combinations (same tensors when run)', async () => {
    const dir = tempDir('mk');
    for (const s of [1, 2, 3]) await writeModel(path.join(dir, `c${s}.safetensors`), smallNet(s));
    const io = { openModel, writerFor };
    for (const [yaml, name] of [
      ['method: ema\nmodels: [c1.safetensors, c2.safetensors, c3.safetensors]\nparameters: {decay: 0.7}\noutput: {path: ema.safetensors}\n', 'ema'],
      ['method: add_difference\nmodels: [c1.safetensors, c2.safetensors, c3.safetensors]\nparameters: {multiplier: 0.6}\noutput: {path: ad.safetensors}\n', 'ad'],
    ] as const) {
      const ours: Recipe = parseRecipe(yaml);
      const exported = exportMergekit(ours);
      const back = importMergekit(exported.yaml, { output: `${name}-mk.safetensors` }).recipe;
      expect(back.method).toBe('sum');
      await runMerge(await resolveRecipe(ours, dir), silentContext(), { io });
      await runMerge(await resolveRecipe(back, dir), silentContext(), { io });
      const [a, b] = await Promise.all([readModel(path.join(dir, `${name}.safetensors`)), readModel(path.join(dir, `${name}-mk.safetensors`))]);
      for (const [t, v] of a.values) {
        const w = b.values.get(t)!;
        for (let i = 0; i < v.length; i++) expect(w[i]).toBeCloseTo(v[i], 5);
      }
    }
  });
});
