import { describe, expect, it } from 'vitest';
import { describeMethods } from '../../../main/engine/merge/methods';
import { checkRecipe } from '../../../main/engine/merge/recipe';
import { alignmentFromRecipe, withAlignment } from '../../../renderer/src/screens/alignRecipe';
import { DEFAULT_DATA, emptySchemeForm, formToRecipe, type SchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';
import { describeRecipe, valueWords, withoutStep, type RecipeStep } from '../../../renderer/src/screens/scheme/recipeSteps';
import type { AlignChoice } from '../../../renderer/src/state/store';

const METHODS = describeMethods();
const two = [{ path: '/m/a.safetensors', weight: 1, use: true }, { path: '/m/b.safetensors', weight: 2, use: true }];
const weightAlign: AlignChoice = { method: 'weight', dataset: 'mnist:train', samples: 500, repair: 'reset', rename: { '/m/b.safetensors': { 'fc.weight': 'head.weight' } }, exclude: ['fc.bias'] };

/** Form states the Scheme screen can reach, each with the Align screen's choice of the moment. */
const CASES: [string, SchemeForm, AlignChoice | null][] = [
  ['a plain mean, default output', { ...emptySchemeForm(), models: two }, null],
  ['TIES with a base, parameters, every kind of layer rule, an output that replaces', {
    ...emptySchemeForm(), models: two, base: '/m/base.safetensors', method: 'ties', params: { density: 0.3, lambda: 1.2, normalize: false },
    groups: [
      { match: 'features.*', action: 'weights', from: 0, weights: ['1, 0.5', '0.5'] },
      { match: 'classifier.*', action: 'from', from: 1, weights: [] },
      { match: 'aux.*', action: 'exclude', from: 0, weights: [] },
    ],
    extraLayers: [{ regex: '^head\\.', parameters: { density: [0.1, 0.9] } }],
    output: { path: '/m/out.safetensors', dtype: 'bf16', overwrite: true },
  }, weightAlign],
  ['weighted, aligned by activations with REPAIR', { ...emptySchemeForm(), models: two, method: 'weighted' }, { ...weightAlign, method: 'activation', repair: 'repair', rename: {}, exclude: [], arch: 'mlp' }],
  ['fisher with a per-model data sample', {
    ...emptySchemeForm(), models: two, method: 'fisher',
    data: { ...DEFAULT_DATA, perModel: true, datasets: { '/m/a.safetensors': 'mnist:fit?task=subset:0-4' }, arch: 'mlp' },
  }, { ...weightAlign, repair: 'none', rename: {}, exclude: [] }],
  ['checkpoints of one run, last k', { ...emptySchemeForm(), source: 'checkpoints', checkpoints: { dir: '/runs/r1/checkpoints', mode: 'last', last: 3, from: 0, to: 0 } }, null],
  ['a loaded model-folder output and slices', {
    ...emptySchemeForm(), models: two, method: 'passthrough',
    slices: [{ sources: [{ model: 0, layers: [0, 2] }] }, { sources: [{ model: 1, layers: [2, 4] }] }],
    output: { path: '/m/out', dtype: 'f16' }, outputExtras: { folder: true, shard_size: '5B' },
  }, null],
];

const recipeOf = (f: SchemeForm, a: AlignChoice | null) => {
  const needsData = METHODS.find((m) => m.id === f.method)?.needsData;
  return withAlignment(formToRecipe({ ...f, data: needsData ? (f.data ?? DEFAULT_DATA) : undefined }), a);
};
const shown = (steps: RecipeStep[]) => new Set(steps.flatMap((s) => s.keys));
const stepOf = (steps: RecipeStep[], key: string) => steps.find((s) => s.keys.includes(key));

describe('"What this merge will do" on the Scheme screen', () => {
  it.each(CASES)('shows every key and every parameter of the recipe it builds: %s', (_, form, align) => {
    const recipe = recipeOf(form, align);
    checkRecipe(recipe); // the engine runs this very recipe
    const steps = describeRecipe(recipe, METHODS);
    expect(steps.filter((s) => s.unknown)).toEqual([]);
    const keys = shown(steps);
    for (const k of Object.keys(recipe)) expect(keys, `recipe key ${k}`).toContain(k);
    for (const block of ['align', 'output', 'data'] as const) {
      const o = recipe[block] as Record<string, unknown> | undefined;
      for (const k of Object.keys(o ?? {})) expect(keys, `recipe key ${block}.${k}`).toContain(`${block}.${k}`);
    }
    for (const [name, v] of Object.entries((recipe.parameters ?? {}) as Record<string, unknown>)) {
      expect(stepOf(steps, `parameters.${name}`)?.text).toContain(`${name} = ${valueWords(v)}`);
    }
    // and the method's other parameters are shown at their defaults
    const method = METHODS.find((m) => m.id === form.method)!;
    for (const p of method.params) expect(steps.some((s) => s.text.startsWith(`${p.name} = `))).toBe(true);
  });

  it('says the alignment, where it was chosen, and the BatchNorm repair with its sample, in words', () => {
    const steps = describeRecipe(recipeOf(CASES[1][1], weightAlign), METHODS);
    const align = stepOf(steps, 'align.method')!;
    expect(align.text).toMatch(/^Align the other models to a\.safetensors by weight matching \(Git Re-Basin\); chosen on the Align screen/);
    expect(align.text).toContain('1 tensor matched by hand');
    expect(align.text).toContain('kept from the first model, not merged: fc.bias');
    expect(stepOf(steps, 'align.repair')!.text).toBe('Then repair BatchNorm statistics: recompute them on mnist:train, 500 samples');
    // the repair runs after the merge: listed after the method
    expect(steps.indexOf(stepOf(steps, 'align.repair')!)).toBeGreaterThan(steps.indexOf(stepOf(steps, 'method')!));
    expect(stepOf(steps, 'output.overwrite')!.text).toBe('Replace the file that is already at /m/out.safetensors');
  });

  it('says where a default output goes, and never offers to replace it', () => {
    const steps = describeRecipe(recipeOf(CASES[0][1], null), METHODS);
    expect(stepOf(steps, 'output')!.text).toBe('Write the merged model to a new file in this merge\'s own run folder (numbers as f32)');
    expect(stepOf(steps, 'output.overwrite')).toBeUndefined();
    // a tick given for a path is not carried into the run folder's default
    const ticked = recipeOf({ ...CASES[0][1], output: { path: '  ', dtype: 'f32', overwrite: true } }, null);
    expect(ticked.output).toEqual({ dtype: 'f32' });
  });

  it('shows what it does not know as written, so nothing reaches a merge unseen', () => {
    const recipe = { ...recipeOf(CASES[0][1], null), name: 'mine', output: { dtype: 'f32', surprise: 1 } };
    const unknown = describeRecipe(recipe, METHODS).filter((s) => s.unknown);
    expect(unknown.map((s) => s.keys[0])).toEqual(['output.surprise', 'name']);
    expect(unknown[1].text).toContain('mine');
  });

  it('Remove takes each removable step out of the recipe (parameters back to their defaults)', () => {
    let form = CASES[1][1];
    let align: AlignChoice | null = weightAlign;
    const removable = () => describeRecipe(recipeOf(form, align), METHODS).filter((s) => s.remove);
    const before = removable().length;
    expect(before).toBe(3 + 4 + 3); // density, lambda, normalize; 4 layer rules; alignment, repair, overwrite
    // the repair first: the alignment stays, with no repair and no sample
    ({ form, alignment: align } = withoutStep({ kind: 'repair' }, form, align));
    expect(recipeOf(form, align).align).toEqual({ method: 'weight', repair: 'none', rename: [{ model: 1, map: { 'fc.weight': 'head.weight' } }], exclude: ['fc.bias'] });
    while (removable().length) ({ form, alignment: align } = withoutStep(removable()[0].remove!, form, align));
    const recipe = recipeOf(form, align);
    expect(align).toBeNull();
    expect(recipe).not.toHaveProperty('align');
    expect(recipe).not.toHaveProperty('parameters');
    expect(recipe).not.toHaveProperty('layers');
    expect(recipe.output).toEqual({ path: '/m/out.safetensors', dtype: 'bf16' });
    // TIES needs its base: not removable
    expect(recipe.base).toBe('/m/base.safetensors');
  });

  it('a loaded recipe brings its own alignment, or none: the Align screen\'s earlier choice does not slip in', () => {
    const withArch = { ...weightAlign, arch: 'mlp' };
    const recipe = recipeOf(CASES[1][1], withArch);
    expect(alignmentFromRecipe(recipe)).toEqual(withArch);
    expect(withAlignment(formToRecipe(CASES[1][1]), alignmentFromRecipe(recipe)).align).toEqual(recipe.align);
    expect(alignmentFromRecipe(recipeOf(CASES[0][1], null))).toBeNull();
  });
});
