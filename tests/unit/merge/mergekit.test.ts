// mergekit interop: importing its common configs, exporting ours, and what cannot be carried over. The
// linear forms of EMA and add_difference are checked by running both recipes on real files.
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
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
  it('imports the usual slerp config: models and layer ranges from the slice, filters as layer rules, dtype', () => {
    const { recipe, notCarried } = importMergekit(SLERP, { output: 'out.safetensors' });
    expect(recipe.method).toBe('slerp');
    expect(recipe.models?.map((m) => m.path)).toEqual(['org/model-a', 'org/model-b']);
    expect(recipe.parameters).toEqual({ t: 0.5 });
    // mergekit's gradients run over the layer index: `over: blocks`.
    expect(recipe.layers).toEqual([
      { match: '*self_attn*', parameters: { t: [0, 0.5, 0.3, 0.7, 1] }, over: 'blocks' },
      { match: '*mlp*', parameters: { t: [1, 0.5, 0.7, 0.3, 0] }, over: 'blocks' },
    ]);
    expect(recipe.output).toEqual({ path: 'out.safetensors', dtype: 'bf16' });
    expect(recipe.slices).toEqual([{ sources: [{ model: 0, layers: [0, 32] }, { model: 1, layers: [0, 32] }] }]);
    expect(notCarried.some((n) => n.startsWith('dtype bfloat16: mergekit computes in it'))).toBe(true);
  });

  it('imports TIES with per-model weights and density, and lists what it dropped', () => {
    const { recipe, notCarried } = importMergekit(TIES);
    expect(recipe.method).toBe('ties');
    expect(recipe.base).toBe('base');
    expect(recipe.models).toEqual([{ path: 'math', weight: 0.5 }, { path: 'code', weight: 0.3 }]);
    // mergekit's ties defaults are written out: normalize true, lambda 1.
    expect(recipe.parameters).toEqual({ density: 0.5, normalize: true, lambda: 1 });
    // mergekit writes a model folder: so does the recipe, with no path: a folder "merged" in its run's own folder
    expect(recipe.output).toEqual({ dtype: 'f16', folder: true });
    expect(notCarried.some((n) => n.startsWith('parameters.int8_mask: mergekit keeps its sign masks as int8'))).toBe(true);
    expect(notCarried.some((n) => n.startsWith('output:'))).toBe(true);
  });

  it('maps linear to weighted, or to sum without normalisation; refuses unknown methods', () => {
    expect(importMergekit('merge_method: linear\nmodels: [{model: a, parameters: {weight: 2}}, {model: b}]\n').recipe).toMatchObject({ method: 'weighted', models: [{ path: 'a', weight: 2 }, { path: 'b', weight: 1 }] });
    expect(importMergekit('merge_method: linear\nparameters: {normalize: false}\nmodels: [{model: a}, {model: b}]\n').recipe.method).toBe('sum');
    expect(() => importMergekit('merge_method: frankenstein\nmodels: [{model: a}]\n')).toThrow(/no equivalent here/);
  });
});

describe('importMergekit: mergekit\'s defaults and what does not map', () => {
  const mk = (method: string, extra = '') => `merge_method: ${method}\nbase_model: base\nmodels: [{model: base}, {model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 0.5}}]\n${extra}`;
  it('density absent is 1.0, DELLA epsilon 0.15, dare normalize false and rescale l1, della normalize true — all written out', () => {
    expect(importMergekit(mk('ties')).recipe.parameters).toEqual({ density: 1, normalize: true, lambda: 1 });
    expect(importMergekit(mk('dare_linear')).recipe.parameters).toEqual({ density: 1, normalize: false, lambda: 1, rescale: 'l1' });
    expect(importMergekit(mk('della', 'parameters: {density: 0.5}\n')).recipe.parameters).toEqual({ density: 0.5, epsilon: 0.15, normalize: true, lambda: 1, rescale: 'l1' });
    expect(importMergekit(mk('della_linear', 'parameters: {density: 0.5, rescale: false}\n')).recipe).toMatchObject({ method: 'della_linear', parameters: { rescale: 'none', normalize: false } });
    expect(importMergekit(mk('breadcrumbs_ties', 'parameters: {density: 0.9}\n')).recipe).toMatchObject({ method: 'breadcrumbs_ties', parameters: { density: 0.9, gamma: 0.01, normalize: false } });
    expect(importMergekit(mk('task_arithmetic', 'parameters: {normalize: true, lambda: 0.7}\n')).recipe.parameters).toEqual({ normalize: true, lambda: 0.7 });
  });
  it('per-model densities that differ stay per model', () => {
    const { recipe } = importMergekit('merge_method: dare_ties\nbase_model: base\nmodels:\n  - model: a\n    parameters: {weight: 0.5, density: 0.53}\n  - model: b\n    parameters: {weight: 0.5, density: 0.6}\n');
    expect(recipe.models).toEqual([{ path: 'a', weight: 0.5, parameters: { density: 0.53 } }, { path: 'b', weight: 0.5, parameters: { density: 0.6 } }]);
  });
  it('lists, never silently changes: a missing weight, unreachable conditions, unknown keys; several slices are carried', () => {
    const a = importMergekit('merge_method: ties\nbase_model: base\nmodels: [{model: a}, {model: b, parameters: {weight: 1}}]\n').notCarried;
    expect(a.some((n) => n.startsWith('weight of a: not set, and mergekit requires it'))).toBe(true);
    const b = importMergekit('merge_method: slerp\nbase_model: a\nmodels: [{model: a}, {model: b}]\nparameters:\n  t: [{value: 0.3}, {filter: mlp, value: 0.9}]\n').notCarried;
    expect(b.some((n) => n.includes('never applies'))).toBe(true);
    const c = importMergekit('merge_method: slerp\nbase_model: a\nslices:\n  - sources: [{model: a, layer_range: [0, 8]}, {model: b, layer_range: [0, 8]}]\n  - sources: [{model: a, layer_range: [8, 16]}, {model: b, layer_range: [8, 16]}]\nparameters: {t: 0.5}\n').notCarried;
    expect(c).toEqual([expect.stringMatching(/^output:/)]);
    expect(importMergekit('merge_method: slerp\nbase_model: a\nslices:\n  - sources: [{model: a, layer_range: [0, 8]}, {model: b, layer_range: [0, 8]}]\n  - sources: [{model: a, layer_range: [8, 16]}, {model: b, layer_range: [8, 16]}]\nparameters: {t: 0.5}\n').recipe.slices).toHaveLength(2);
    const d = importMergekit('merge_method: model_stock\nbase_model: base\nmodels: [{model: a}, {model: b}]\nparameters: {filter_wise: true, smoothing: 2}\ntokenizer_source: union\n').notCarried;
    expect(d).toContain('parameters.smoothing: not used here');
    expect(d.filter((n) => n.startsWith('tokenizer_source'))).toEqual([]); // carried to the output folder
  });
});

describe('exportMergekit', () => {
  it('writes normalize and rescale explicitly; inverse and layer strength are listed', () => {
    const { yaml, notCarried } = exportMergekit(parseRecipe('method: della\nmodels: [a.pt, b.pt]\nbase: c.pt\nparameters: {density: 0.4, rescale: inverse}\nlayers:\n  - {match: "*mlp*", parameters: {weight: 0.5}}\noutput: {path: o.safetensors}\n'));
    expect(parse(yaml).parameters).toEqual({ density: 0.4, epsilon: 0.15, lambda: 1, normalize: true, rescale: true });
    expect(notCarried.some((n) => n.startsWith('parameters.rescale: inverse'))).toBe(true);
    expect(notCarried.some((n) => n.includes('layer strength'))).toBe(true);
  });

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
    // Every parameter is written, ours where mergekit's default differs (normalize false, rescale true = l1).
    expect(cfg).toEqual({
      merge_method: 'dare_ties',
      base_model: 'base.pt',
      models: [{ model: 'a.pt', parameters: { weight: 1 } }, { model: 'b.pt', parameters: { weight: 2 } }],
      parameters: { density: [{ filter: 'attn', value: [0.2, 0.8] }, { value: 0.4 }], lambda: 1, normalize: false, rescale: true },
      dtype: 'float32',
      out_dtype: 'bfloat16',
    });
    expect(notCarried.some((n) => n.includes('seed'))).toBe(true);
    expect(notCarried.some((n) => n.includes('head.*') && n.includes('copying'))).toBe(true);
    // The rule's gradient ran over its layers in file order; mergekit's runs over the layer index: said so.
    expect(notCarried.some((n) => n.includes('*attn*') && n.includes('layer index'))).toBe(true);
    // …and it imports back to the same method, weights and filtered parameter (now over the block index).
    const back = importMergekit(yaml).recipe;
    expect(back.method).toBe('dare_ties');
    expect(back.parameters).toEqual({ density: 0.4, lambda: 1, normalize: false, rescale: 'l1' });
    expect(back.layers).toEqual([{ match: '*attn*', parameters: { density: [0.2, 0.8] }, over: 'blocks' }]);
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
