import { describe, expect, it } from 'vitest';
import { checkRecipe, parseRecipe, recipeToYaml } from '../../../main/engine/merge/recipe';
import { formToRecipe, groupNames, parseWeightText, recipeToForm, type SchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';

const form: SchemeForm = {
  source: 'models',
  models: [{ path: '/m/a.pt', weight: 1, use: true }, { path: '/m/b.pt', weight: 2, use: true }, { path: '/m/c.pt', weight: 1, use: false }],
  base: '/m/base.pt',
  checkpoints: { dir: '', mode: 'last', last: 5, from: 0, to: 0 },
  method: 'ties',
  params: { density: 0.3, lambda: 1.2 },
  groups: [
    { match: 'features.*', action: 'weights', from: 0, weights: ['1, 0.5', '0.5'] },
    { match: 'classifier.*', action: 'from', from: 1, weights: [] },
    { match: 'aux.*', action: 'exclude', from: 0, weights: [] },
    { match: 'head.*', action: 'merge', from: 0, weights: [] },
  ],
  output: { path: '/m/out.safetensors', dtype: 'bf16' },
};

describe('the Scheme screen\'s recipe', () => {
  it('is a recipe the engine accepts, with unticked models and plain-merge groups left out', () => {
    const r = checkRecipe(formToRecipe(form));
    expect(r.models).toEqual([{ path: '/m/a.pt', weight: 1 }, { path: '/m/b.pt', weight: 2 }]);
    expect(r.layers).toEqual([
      { match: 'features.*', weights: [[1, 0.5], 0.5] },
      { match: 'classifier.*', from: 1 },
      { match: 'aux.*', exclude: true },
    ]);
    expect(r.parameters).toEqual({ density: 0.3, lambda: 1.2 });
  });

  it('survives YAML and back into the same form', () => {
    const yaml = recipeToYaml(checkRecipe(formToRecipe(form)));
    const back = recipeToForm(parseRecipe(yaml), form);
    expect(formToRecipe(back)).toEqual(formToRecipe(form));
  });

  it('an empty output path leaves the path out (the run\'s own folder), and comes back empty', () => {
    const r = checkRecipe(formToRecipe({ ...form, output: { path: '  ', dtype: 'f16' } }));
    expect(r.output).toEqual({ dtype: 'f16' });
    expect(recipeToForm(parseRecipe(recipeToYaml(r)), form).output).toEqual({ path: '', dtype: 'f16' });
    expect(recipeToForm({ method: 'mean', models: ['/m/a.pt', '/m/b.pt'] }, form).output).toEqual({ path: '', dtype: 'f32' });
  });

  it('writes checkpoint windows as the engine expects them', () => {
    const ck = formToRecipe({ ...form, source: 'checkpoints', method: 'mean', base: '', params: {}, groups: [], checkpoints: { dir: '/runs/x/checkpoints', mode: 'range', last: 0, from: 10, to: 20 } });
    expect(checkRecipe(ck).checkpoints).toEqual({ dir: '/runs/x/checkpoints', from_epoch: 10, to_epoch: 20 });
  });

  it('reads weights and gradients, rejecting what is not a number', () => {
    expect(parseWeightText('0.5')).toBe(0.5);
    expect(parseWeightText('1, 0.25, 0')).toEqual([1, 0.25, 0]);
    expect(parseWeightText('x')).toBeNull();
    expect(parseWeightText('')).toBeNull();
  });

  it('groups tensors by block in first-seen order', () => {
    expect(groupNames(['features.0.weight', 'features.0.bias', 'classifier.1.weight', 'scale', 'features.3.weight'])).toEqual(['features.*', 'classifier.*', 'scale']);
  });
});

describe('an imported mergekit recipe in the form', () => {
  it('keeps switches, choices, per-model parameters and the rules the table cannot show, in order', () => {
    const imported = checkRecipe({
      method: 'ties',
      models: [{ path: '/m/a.pt', parameters: { density: 0.5 } }, { path: '/m/b.pt', weight: 0.3 }],
      base: '/m/base.pt',
      parameters: { normalize: false, lambda: 1, density: 1 },
      layers: [
        { match: '*mlp*', weights: [1, [0, 1]], over: 'blocks' },
        { match: '*', model_parameters: [{ density: [1, 0.5] }, {}], over: 'blocks' },
        { match: 'lm_head.*', from: 0 },
      ],
      output: { path: '/m/o.safetensors' },
    });
    const f = recipeToForm(imported, form);
    expect(f.params).toEqual({ normalize: false, lambda: 1, density: 1 });
    expect(f.groups.map((g) => g.match)).toEqual(['lm_head.*']);
    expect(f.extraLayers).toHaveLength(2);
    const back = checkRecipe(formToRecipe(f));
    expect(back.models).toEqual([{ path: '/m/a.pt', weight: 1, parameters: { density: 0.5 } }, { path: '/m/b.pt', weight: 0.3 }]);
    expect(back.layers).toEqual(imported.layers);
    expect(back.parameters).toEqual(imported.parameters);
  });

  it('keeps slices and a model folder output (the form shows neither)', () => {
    const imported = checkRecipe({
      method: 'passthrough',
      models: [{ path: '/m/a' }, { path: '/m/b' }],
      slices: [{ sources: [{ model: 0, layers: [0, 2] }] }, { sources: [{ model: 1, layers: [1, 4] }], layers: [{ match: '*o_proj*', parameters: { scale: 0.5 } }] }],
      output: { path: '/m/merged', folder: true, shard_size: '2B', tokenizer: 'base', chat_template: 'auto' },
    });
    const back = checkRecipe(formToRecipe(recipeToForm(imported, form)));
    expect(back.slices).toEqual(imported.slices);
    expect(back.output).toEqual({ ...imported.output, dtype: 'f32' });
  });

  it('carries "Replace the existing file" as output.overwrite, there and back, only with a path it is about', () => {
    const ticked = { ...form, output: { path: '/m/out.safetensors', dtype: 'f32' as const, overwrite: true } };
    const r = checkRecipe(formToRecipe(ticked));
    expect(r.output).toEqual({ path: '/m/out.safetensors', dtype: 'f32', overwrite: true });
    const back = recipeToForm(parseRecipe(recipeToYaml(r)), form);
    expect(back.output).toEqual(ticked.output);
    expect(back.outputExtras).toEqual({});
    expect(checkRecipe(formToRecipe({ ...form, output: { path: '/m/out.safetensors', dtype: 'f32', overwrite: false } })).output).not.toHaveProperty('overwrite');
  });
});
