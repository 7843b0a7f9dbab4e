// The Compare screen's search: the recipe it varies is the Scheme screen's (every ticked model, the base, the
// parameters, the alignment), valid for the engine; what it offers to vary and the dimensions it sends.
import { describe, expect, it } from 'vitest';
import { describeMethods } from '../../../main/engine/merge/methods';
import { checkRecipe } from '../../../main/engine/merge/recipe';
import { withAlignment } from '../../../renderer/src/screens/alignRecipe';
import { defaultVary, searchDimensions, varyOptions } from '../../../renderer/src/screens/compare/searchDimensions';
import { searchRecipe } from '../../../renderer/src/screens/compare/searchRecipe';
import { emptySchemeForm, formToRecipe, type SchemeForm } from '../../../renderer/src/screens/scheme/recipeForm';
import type { AlignChoice } from '../../../renderer/src/state/store';

const scheme: SchemeForm = {
  ...emptySchemeForm(),
  models: [{ path: '/m/a.pt', weight: 1, use: true }, { path: '/m/b.pt', weight: 2, use: true }, { path: '/m/c.pt', weight: 1, use: true }, { path: '/m/base.pt', weight: 1, use: false }],
  base: '/m/base.pt',
  method: 'ties',
  params: { density: 0.3 },
  groups: [{ match: 'classifier.*', action: 'from', from: 1, weights: [] }],
  output: { path: '/m/merged-ties.safetensors', dtype: 'f16' },
};
const align: AlignChoice = { method: 'weight', dataset: '', samples: 0, repair: 'none', rename: {}, exclude: [] };
const methods = describeMethods();

describe('the recipe a search varies', () => {
  it('is the Scheme screen\'s recipe with its alignment, every ticked model and the base; only the output differs', () => {
    const r = searchRecipe(scheme, [{ path: '/x/other.pt' }], align, ['ties'], '/ws/search-best.safetensors');
    expect(r.from).toBe('scheme');
    expect(r.models).toEqual(['/m/a.pt', '/m/b.pt', '/m/c.pt']);
    expect(r.base).toBe('/m/base.pt');
    const same = withAlignment(formToRecipe(scheme), align);
    expect(r.recipe).toEqual({ ...same, output: { path: '/ws/search-best.safetensors', dtype: 'f16' } });
    expect(checkRecipe(r.recipe)).toMatchObject({ method: 'ties', base: '/m/base.pt', parameters: { density: 0.3 }, align: { method: 'weight' } });
  });

  it('one other method takes the recipe\'s place without the Scheme method\'s parameters; several leave it as it is', () => {
    const one = searchRecipe(scheme, [], null, ['weighted'], '/o.safetensors');
    expect(one.recipe.method).toBe('weighted');
    expect(one.recipe.parameters).toBeUndefined();
    expect(checkRecipe(one.recipe).method).toBe('weighted');
    expect(searchRecipe(scheme, [], null, ['weighted', 'slerp'], '/o.safetensors').recipe).toMatchObject({ method: 'ties', parameters: { density: 0.3 } });
  });

  it('the Compare tab\'s models, all of them, when the Scheme screen has none', () => {
    const picked = [{ path: '/c/1.safetensors' }, { path: '/c/2.safetensors' }, { path: '/c/3.safetensors' }];
    for (const s of [null, emptySchemeForm()]) {
      const r = searchRecipe(s, picked, null, ['weighted'], '/o.safetensors');
      expect(r.from).toBe('compare');
      expect((r.recipe.models as { path: string }[]).map((m) => m.path)).toEqual(picked.map((m) => m.path));
    }
  });
});

describe('what the search offers to vary', () => {
  const info = (...ids: string[]) => methods.filter((m) => ids.includes(m.id));
  const two = ['/m/a.pt', '/m/b.pt'];
  const three = ['/m/a.pt', '/m/b.pt', '/m/c.pt'];

  it('α only between two models, each model\'s weight with more; each numeric parameter once; no seeds; λ first for TIES', () => {
    const ties3 = varyOptions(info('ties'), three);
    expect(ties3.map((o) => o.name)).toEqual(['weights.0', 'weights.1', 'weights.2', 'parameters.density', 'parameters.lambda']);
    expect(ties3[2].label).toBe('weight of c.pt');
    expect(ties3.find((o) => o.name === 'parameters.lambda')).toMatchObject({ min: 0, max: 2 });
    expect(defaultVary(ties3)).toBe('parameters.lambda');
    const names = varyOptions(info('weighted', 'slerp', 'dare_linear'), two).map((o) => o.name);
    expect(names[0]).toBe('alpha');
    expect(names).not.toContain('parameters.t');
    expect(names).not.toContain('parameters.seed');
    expect(names).not.toContain('weights.0');
    expect(defaultVary(varyOptions(info('weighted', 'slerp'), two))).toBe('alpha');
    expect(varyOptions(info('mean'), three)).toEqual([]);
    expect(varyOptions(info('weighted'), [])).toEqual([]); // a checkpoint window: the count is the engine's to find
  });

  it('sends the methods as a dimension only when there are several, then each ticked range', () => {
    const options = varyOptions(info('ties'), three);
    const chosen = { 'parameters.lambda': { on: true, min: 0, max: 2 }, 'parameters.density': { on: false, min: 0, max: 1 } };
    expect(searchDimensions(['ties'], options, chosen)).toEqual([{ name: 'parameters.lambda', min: 0, max: 2 }]);
    expect(searchDimensions(['ties', 'task_arithmetic'], options, chosen)).toEqual([{ name: 'method', values: ['ties', 'task_arithmetic'] }, { name: 'parameters.lambda', min: 0, max: 2 }]);
  });
});
