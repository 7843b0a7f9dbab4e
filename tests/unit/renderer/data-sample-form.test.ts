// The Scheme screen's data sample for fisher and regmean: the recipe it writes is one the engine accepts, per
// model or one for all, and it survives YAML and back.
import { describe, expect, it } from 'vitest';
import { checkRecipe, parseRecipe, recipeToYaml } from '../../../main/engine/merge/recipe';
import { formToRecipe, recipeToForm, type SchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';

const form: SchemeForm = {
  source: 'models',
  models: [{ path: '/m/low.safetensors', weight: 1, use: true }, { path: '/m/high.safetensors', weight: 1, use: true }, { path: '/m/other.safetensors', weight: 1, use: false }],
  base: '',
  checkpoints: { dir: '', mode: 'last', last: 5, from: 0, to: 0 },
  method: 'fisher',
  params: { estimate: 'empirical' },
  groups: [],
  data: { perModel: true, dataset: 'mnist:train', datasets: { '/m/low.safetensors': 'mnist:fit?task=subset:0-4', '/m/high.safetensors': 'mnist:fit?task=subset:5-9', '/m/other.safetensors': 'x' }, samples: 500, arch: 'mlp' },
  output: { path: '/m/out.safetensors', dtype: 'f32' },
};

describe('the Scheme screen\'s data sample', () => {
  it('writes one dataset per model in use, in their order, or one for all', () => {
    expect(checkRecipe(formToRecipe(form)).data).toEqual({ dataset: ['mnist:fit?task=subset:0-4', 'mnist:fit?task=subset:5-9'], samples: 500, arch: 'mlp' });
    const one = checkRecipe(formToRecipe({ ...form, method: 'regmean', params: {}, data: { ...form.data!, perModel: false, arch: '' } }));
    expect(one.data).toEqual({ dataset: 'mnist:train', samples: 500 });
    // a model without its own falls back to the one for all
    expect(checkRecipe(formToRecipe({ ...form, data: { ...form.data!, datasets: {} } })).data!.dataset).toEqual(['mnist:train', 'mnist:train']);
  });

  it('survives YAML and back into the same form', () => {
    const yaml = recipeToYaml(checkRecipe(formToRecipe(form)));
    expect(yaml).toMatch(/^data:\n {2}dataset:\n {4}- mnist:fit\?task=subset:0-4/m);
    const back = recipeToForm(parseRecipe(yaml), form);
    expect(formToRecipe(back)).toEqual(formToRecipe(form));
  });
});
