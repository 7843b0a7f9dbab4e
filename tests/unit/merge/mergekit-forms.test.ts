// mergekit's config forms that change the numbers (issue 22, item 3): each read as mergekit reads it, and the
// methods they switch computed as mergekit computes them (PyTorch reference: scripts/fixtures/
// make_mergekit_forms_fixtures.py), to 1e-6.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getMethod, type Params } from '../../../main/engine/merge/methods';
import { exportMergekit, importMergekit } from '../../../main/engine/merge/mergekit';

const FIX = path.resolve(__dirname, '../../fixtures/merge/mergekit');

interface Inputs { shape: number[]; base: number[]; models: number[][] }
interface FormCase {
  name: string; method: string; params: Record<string, unknown>; weights: number[]; mergekit: number[]; note: string;
  inputs?: string; use?: number; shape?: number[]; base?: number[]; models?: number[][]; with_base?: boolean;
}
const forms = JSON.parse(readFileSync(path.join(FIX, 'forms.json'), 'utf8')) as { inputs: Record<string, Inputs>; cases: FormCase[] };

function run(c: FormCase): Float32Array {
  const inp: Inputs = c.inputs ? forms.inputs[c.inputs] : { shape: c.shape!, base: c.base!, models: c.models! };
  const method = getMethod(c.method);
  const withBase = method.needsBase || c.with_base === true;
  return method.kernel({
    models: inp.models.slice(0, c.use ?? inp.models.length).map((m) => Float32Array.from(m)),
    ...(withBase ? { base: Float32Array.from(inp.base) } : {}),
    weights: c.weights, params: method.params.parse(c.params) as Params, seed: 1, name: c.name, shape: inp.shape,
  });
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('the forms\' numbers equal mergekit\'s (PyTorch reference)', () => {
  it('covers rescale on TIES and breadcrumbs, filter_wise, normalize_weights and negation', () => {
    expect(new Set(forms.cases.map((c) => c.note))).toEqual(new Set(['rescale: true', 'negative lambda and weight', 'filter_wise', 'normalize_weights', 'normalize_weights, with a base']));
  });
  for (const c of forms.cases) it(`${c.name} (${c.note})`, () => expect(maxDiff(run(c), c.mergekit)).toBeLessThan(1e-6));

  it('each switch changes the numbers (so the cases above test something)', () => {
    const other = (c: FormCase, params: Record<string, unknown>) => run({ ...c, params: { ...c.params, ...params } });
    const ties = forms.cases.find((c) => c.method === 'ties' && c.params.rescale === 'l1')!;
    expect(maxDiff(other(ties, { rescale: 'none' }), ties.mergekit)).toBeGreaterThan(1e-3);
    const stock = forms.cases.find((c) => c.method === 'model_stock' && c.params.filter_wise === true && c.shape!.length === 2)!;
    expect(maxDiff(other(stock, { filter_wise: false }), stock.mergekit)).toBeGreaterThan(1e-4);
    const ms = forms.cases.find((c) => c.method === 'multislerp' && c.params.normalize_weights === false)!;
    expect(maxDiff(other(ms, { normalize_weights: true }), ms.mergekit)).toBeGreaterThan(1e-3);
  });
});

describe('importMergekit reads the forms as mergekit does', () => {
  const models = 'models: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 0.5}}]\n';
  const withBase = (method: string, params: string) => `merge_method: ${method}\nbase_model: base\n${models}parameters: ${params}\n`;

  it('normalize: 0 is false (Python\'s truth value): linear becomes sum, ties does not normalise', () => {
    expect(importMergekit(`merge_method: linear\n${models}parameters: {normalize: 0}\n`).recipe.method).toBe('sum');
    expect(importMergekit(`merge_method: linear\n${models}parameters: {normalize: 1}\n`).recipe.method).toBe('weighted');
    expect(importMergekit(withBase('ties', '{normalize: 0, density: 0.5}')).recipe.parameters).toMatchObject({ normalize: false });
    expect(importMergekit(withBase('ties', '{normalize: "off", density: 0.5}')).recipe.parameters).toMatchObject({ normalize: false });
  });

  it('rescale: true on ties and breadcrumbs is their L1 rescale; on task_arithmetic it changes nothing, as in mergekit', () => {
    for (const method of ['ties', 'breadcrumbs', 'breadcrumbs_ties']) {
      const { recipe, notCarried } = importMergekit(withBase(method, '{rescale: true, density: 0.5}'));
      expect(recipe.parameters).toMatchObject({ rescale: 'l1' });
      expect(notCarried.filter((n) => !n.startsWith('output:'))).toEqual([]);
      // false is mergekit's default and ours: nothing to write
      expect(importMergekit(withBase(method, '{rescale: false, density: 0.5}')).recipe.parameters?.rescale).toBeUndefined();
    }
    const ta = importMergekit(withBase('task_arithmetic', '{rescale: true}'));
    expect(ta.recipe.parameters).toEqual({ normalize: false, lambda: 1 });
    expect(ta.notCarried.filter((n) => !n.startsWith('output:'))).toEqual([]);
  });

  it('filter_wise on model_stock and normalize_weights on multislerp are carried', () => {
    expect(importMergekit('merge_method: model_stock\nbase_model: base\nmodels: [{model: a}, {model: b}]\nparameters: {filter_wise: true}\n').recipe.parameters).toEqual({ filter_wise: true });
    expect(importMergekit('merge_method: model_stock\nbase_model: base\nmodels: [{model: a}, {model: b}]\nparameters: {filter_wise: false}\n').recipe.parameters).toBeUndefined();
    expect(importMergekit(`merge_method: multislerp\n${models}parameters: {normalize_weights: false}\n`).recipe.parameters).toEqual({ normalize_weights: false });
  });

  it('multislerp\'s base is apart from the merged models (its base_tensor), also when listed among them', () => {
    const { recipe } = importMergekit('merge_method: multislerp\nbase_model: base\nmodels: [{model: base}, {model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 2}}]\n');
    expect(recipe.base).toBe('base');
    expect(recipe.models).toEqual([{ path: 'a' }, { path: 'b', weight: 2 }]);
  });

  it('takes λ and weights outside [0, 2] (negation)', () => {
    const { recipe } = importMergekit('merge_method: task_arithmetic\nbase_model: base\nmodels: [{model: a, parameters: {weight: -1}}, {model: b, parameters: {weight: 2.5}}]\nparameters: {lambda: -3}\n');
    expect(recipe.parameters).toEqual({ normalize: false, lambda: -3 });
    expect(recipe.models).toEqual([{ path: 'a', weight: -1 }, { path: 'b', weight: 2.5 }]);
  });

  it('refuses modules: (not read here) and a config with neither models nor slices, instead of an empty model list', () => {
    expect(() => importMergekit('merge_method: linear\nmodules:\n  text_decoder:\n    models: [{model: a, parameters: {weight: 1}}]\n')).toThrow(/modules: .*not read here/);
    expect(() => importMergekit('merge_method: linear\nparameters: {normalize: true}\n')).toThrow(/exactly one of models: or slices:/);
  });
});

describe('the forms export back to configs that import to the same recipe', () => {
  const configs: Record<string, string> = {
    'normalize: 0 (linear → sum)': 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 2}}]\nparameters: {normalize: 0}\n',
    'rescale: true on ties': 'merge_method: ties\nbase_model: base\nmodels: [{model: a, parameters: {weight: 1, density: 0.4}}, {model: b, parameters: {weight: 0.5, density: 0.6}}]\nparameters: {rescale: true}\n',
    'rescale: true on breadcrumbs_ties': 'merge_method: breadcrumbs_ties\nbase_model: base\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 0.5}}]\nparameters: {rescale: true, density: 0.7, gamma: 0.02}\n',
    'filter_wise on model_stock': 'merge_method: model_stock\nbase_model: base\nmodels: [{model: base}, {model: a}, {model: b}]\nparameters: {filter_wise: true}\n',
    'normalize_weights: false on multislerp': 'merge_method: multislerp\nmodels: [{model: a, parameters: {weight: 2}}, {model: b, parameters: {weight: 0.5}}]\nparameters: {normalize_weights: false}\n',
    'negation': 'merge_method: task_arithmetic\nbase_model: base\nmodels: [{model: a, parameters: {weight: -1}}, {model: b, parameters: {weight: 2.5}}]\nparameters: {lambda: -3}\n',
    'tokenizer_source and chat_template': 'merge_method: linear\nmodels: [{model: a, parameters: {weight: 1}}, {model: b, parameters: {weight: 1}}]\ntokenizer_source: b\nchat_template: auto\n',
  };
  for (const [name, config] of Object.entries(configs)) {
    it(name, () => {
      const text = `${config}dtype: float32\n`;
      const first = importMergekit(text, { output: 'out' });
      expect(first.notCarried).toEqual([]);
      const exported = exportMergekit(first.recipe);
      expect(exported.notCarried).toEqual(['output path out: give it to mergekit on the command line']);
      expect(importMergekit(exported.yaml, { output: 'out' }).recipe).toEqual(first.recipe);
    });
  }
});
