// The mergekit methods added after the first set (linear, nuslerp, karcher, sce, nearswap, arcee_fusion,
// ram, ramplus_tl) against their formulas run in PyTorch (scripts/fixtures/make_mergekit_method_fixtures.py),
// per tensor to 1e-6, plus the behaviour each formula implies, checked by hand; a mergekit config per method
// imported and run on tiny Llama-shaped models, tensor for tensor; and recipe → config → recipe round trips.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import type { JobContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { exportMergekit, importMergekit } from '../../../main/engine/merge/mergekit';
import { getMethod, type Params } from '../../../main/engine/merge/methods';
import { fusionImportance, fusionThreshold, QUANTILE_SAMPLE } from '../../../main/engine/merge/methods/arcee_fusion';
import { mulberry32 } from '../../../main/engine/merge/kernels/random';
import { recipeProblems } from '../../../main/engine/merge/preflight';
import { parseRecipe, resolveRecipe, type Recipe, type ResolvedRecipe } from '../../../main/engine/merge/recipe';
import { readModel, tempDir } from './model-files';

const FIX = path.resolve(__dirname, '../../fixtures/merge/mergekit');

interface Inputs { shape: number[]; base: number[]; models: number[][] }
interface Case { name: string; method: string; inputs: string; params: Record<string, unknown>; weights: number[]; mergekit: number[]; use?: number; base?: boolean; differs?: string }
const fixture = JSON.parse(readFileSync(path.join(FIX, 'methods.json'), 'utf8')) as { inputs: Record<string, Inputs>; cases: Case[] };

function runCase(c: Case): { out: Float32Array; notes: string[] } {
  const inp = fixture.inputs[c.inputs];
  const method = getMethod(c.method);
  const models = inp.models.slice(0, c.use ?? inp.models.length).map((m) => Float32Array.from(m));
  // A base goes to the methods that need one, and to nuslerp only where the case says so.
  const withBase = method.needsBase || c.base === true;
  const notes: string[] = [];
  const out = method.kernel({
    models, ...(withBase ? { base: Float32Array.from(inp.base) } : {}), weights: c.weights, params: method.params.parse(c.params) as Params,
    seed: 1, name: c.name, shape: inp.shape, note: (m) => notes.push(m),
  });
  return { out, notes };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

const NEW = ['linear', 'nuslerp', 'karcher', 'sce', 'nearswap', 'arcee_fusion', 'ram', 'ramplus_tl'];

describe('per-tensor results equal mergekit\'s (PyTorch reference)', () => {
  it(`covers every new method on three shapes (${fixture.cases.length} cases)`, () => {
    for (const m of NEW) {
      const shapes = new Set(fixture.cases.filter((c) => c.method === m).map((c) => fixture.inputs[c.inputs].shape.length));
      expect(shapes, m).toEqual(new Set([1, 2, 4]));
    }
  });
  for (const c of fixture.cases) {
    it(c.name, () => {
      const { out, notes } = runCase(c);
      expect(maxDiff(out, c.mergekit)).toBeLessThan(1e-6);
      // Where mergekit's code departs from its own formula, the log says what it would have done.
      if (c.differs) expect(notes.join(' ')).toMatch(/mergekit returns/);
      else expect(notes).toEqual([]);
    });
  }
});

describe('what the formulas imply', () => {
  const caseOf = (method: string, inputs: string, params: Record<string, unknown> = {}) =>
    fixture.cases.find((c) => c.method === method && c.inputs === inputs && JSON.stringify(c.params) === JSON.stringify(params))!;
  const raw = fixture.inputs.matrix8x12;
  const inp = { base: Float32Array.from(raw.base), models: raw.models.map((m) => Float32Array.from(m)) };

  it('linear: normalize false is the weighted sum, true that divided by Σw', () => {
    const on = runCase(caseOf('linear', 'matrix8x12', { normalize: true })).out;
    const off = runCase({ ...caseOf('linear', 'matrix8x12', { normalize: true }), params: { normalize: false } }).out;
    for (let i = 0; i < on.length; i++) expect(off[i]).toBeCloseTo(on[i] * 1.3, 5);
  });

  it('nuslerp: t comes from the weights (w₁/Σw), so weights 1, 3 equal weights 0.25, 0.75; at Σw = 0 t is ½', () => {
    const run = (weights: number[]) => runCase({ ...caseOf('nuslerp', 'matrix8x12'), weights }).out;
    expect(maxDiff(run([1, 3]), run([0.25, 0.75]))).toBeLessThan(1e-7);
    expect(maxDiff(run([1, -1]), run([1, 1]))).toBeLessThan(1e-7);
    expect(maxDiff(run([1, 0]), inp.models[0])).toBeLessThan(1e-6);
  });

  it('nuslerp row by row: each row of a matrix keeps its own norm between the two rows\' norms', () => {
    const c = fixture.cases.find((x) => x.method === 'nuslerp' && x.inputs === 'matrix8x12' && x.params.nuslerp_flatten === false && x.params.nuslerp_row_wise === false && !x.base)!;
    const { out } = runCase(c);
    const rowNorm = (v: ArrayLike<number>, r: number) => Math.hypot(...Array.from({ length: 12 }, (_, j) => v[r * 12 + j]));
    for (let r = 0; r < 8; r++) {
      const [a, b] = [rowNorm(inp.models[0], r), rowNorm(inp.models[1], r)];
      expect(rowNorm(out, r)).toBeGreaterThanOrEqual(Math.min(a, b) - 1e-6);
      expect(rowNorm(out, r)).toBeLessThanOrEqual(Math.max(a, b) + 1e-6);
    }
  });

  it('karcher ignores the weights and the order of the models, and keeps the mean norm', () => {
    const c = caseOf('karcher', 'matrix8x12');
    const { out } = runCase(c);
    const swapped = getMethod('karcher').kernel({ models: [2, 0, 1].map((m) => inp.models[m]), weights: [5, 1, 0.1], params: getMethod('karcher').params.parse({}) as Params, seed: 0, name: 't' });
    expect(maxDiff(swapped, out)).toBeLessThan(1e-6);
    const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
    expect(norm(out)).toBeCloseTo(inp.models.reduce((s, m) => s + norm(m), 0) / 3, 5);
  });

  it('sce at select_topk 0 is the base; nearswap at t = 0 is the base and with a huge t the other model', () => {
    expect(maxDiff(runCase(caseOf('sce', 'matrix8x12', { select_topk: 0 })).out, inp.base)).toBe(0);
    const ns = (t: number) => runCase({ ...caseOf('nearswap', 'matrix8x12', { t: 0.01 }), params: { t } }).out;
    expect(maxDiff(ns(0), inp.base)).toBe(0);
    expect(maxDiff(ns(1), inp.models[0])).toBeLessThan(1e-7);
  });

  it('arcee_fusion takes the other model\'s value exactly at the outliers of importance and the base elsewhere', () => {
    const { out } = runCase(caseOf('arcee_fusion', 'matrix8x12'));
    let taken = 0;
    for (let i = 0; i < out.length; i++) {
      if (out[i] !== inp.base[i]) { taken++; expect(out[i]).toBeCloseTo(inp.models[0][i], 6); }
    }
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(out.length / 4); // above the upper fence: a few outliers
  });

  it('arcee_fusion over 1e6 entries estimates the quartiles from a seeded sample of 1e6, as mergekit does from a random one', () => {
    const n = 1_500_000;
    const r = mulberry32(9);
    const base = Float32Array.from({ length: n }, () => r() - 0.5);
    const model = Float32Array.from(base, (x) => x + (r() - 0.5) * 0.1);
    const imp = fusionImportance(model, base, [n / 1000, 1000]);
    const sorted = Float32Array.from(imp).sort();
    const at = (q: number) => sorted[Math.floor(q * (n - 1))];
    const exact = at(0.5) + 1.5 * (at(0.75) - at(0.25));
    const a = fusionThreshold(imp, mulberry32(1));
    expect(a).toBe(fusionThreshold(imp, mulberry32(1)));
    expect(a).not.toBe(fusionThreshold(imp, mulberry32(2)));
    expect(Math.abs(a - exact) / exact).toBeLessThan(0.01);
    expect(QUANTILE_SAMPLE).toBe(1e6);
  });

  it('ram: an entry one model changed takes that change whole, one several changed their mean', () => {
    const base = new Float32Array([0, 0, 0, 0]);
    const a = new Float32Array([1, 1, 0, 1e-6]);
    const b = new Float32Array([0, 3, 0, 0]);
    const m = getMethod('ram');
    const out = m.kernel({ models: [a, b], base, weights: [1, 1], params: m.params.parse({}) as Params, seed: 0, name: 't' });
    expect(Array.from(out)).toEqual([1, 2, 0, 0]); // 1e-6 is below epsilon: not a change
    const plus = getMethod('ramplus_tl');
    // a shares 1 of its 2 changes (rho ½, capped at alpha 0.2): its unique change × 1 + 0.1·0.2.
    const boosted = plus.kernel({ models: [a, b], base, weights: [1, 1], params: plus.params.parse({}) as Params, seed: 0, name: 't' });
    expect(boosted[0]).toBeCloseTo(1.02, 6);
    expect(boosted[1]).toBe(2);
  });
});

describe('linear\'s weights may sum to 0 only without normalize', () => {
  const recipe = (parameters: Record<string, boolean>): ResolvedRecipe => ({
    recipe: { method: 'linear', output: { path: '/tmp/o.safetensors' } }, baseDir: '/tmp', method: 'linear',
    models: [{ path: '/tmp/a.safetensors', weight: 1 }, { path: '/tmp/b.safetensors', weight: -1 }], parameters, layers: [], output: { path: '/tmp/o.safetensors', overwrite: false, inRunFolder: false },
  });
  it('normalize (the default) divides by Σw = 0: refused; normalize false: the difference a − b runs', () => {
    expect(recipeProblems(recipe({})).join(' ')).toMatch(/weights sum to 0 \(1 \+ -1\), and Linear \(mergekit\) divides/);
    expect(recipeProblems(recipe({ normalize: true })).join(' ')).toMatch(/sum to 0/);
    expect(recipeProblems(recipe({ normalize: false }))).toEqual([]);
  });
});

describe('a mergekit config per new method, imported and run: the same tensors as mergekit\'s formulas', () => {
  const ctx = (logs: string[]): JobContext => ({ signal: new AbortController().signal, progress: () => {}, log: (m) => logs.push(m), metric: () => {} });
  for (const stem of NEW) {
    it(`${stem}.yml`, async () => {
      const out = path.join(tempDir(`mk-${stem}`), `${stem}.safetensors`);
      const { recipe, notCarried } = importMergekit(readFileSync(path.join(FIX, `${stem}.yml`), 'utf8'), { output: out });
      // int8_mask is memory only; nothing else that changes the tensors is left behind.
      for (const n of notCarried) expect(n).toMatch(/^parameters\.int8_mask/);
      const logs: string[] = [];
      await runMerge(await resolveRecipe(recipe, FIX), ctx(logs), { io: { openModel, writerFor } });
      expect(logs.filter((l) => l.startsWith('note:'))).toEqual([]);
      const [ours, ref] = await Promise.all([readModel(out), readModel(path.join(FIX, `mk_${stem}_ref.pt`))]);
      expect([...ours.values.keys()].sort()).toEqual([...ref.values.keys()].sort());
      for (const [name, v] of ref.values) expect(maxDiff(ours.values.get(name)!, v), name).toBeLessThan(1e-6);
    });
  }

  it('where the base goes: apart for nuslerp (task vectors), a fourth model for karcher, apart for the task-vector methods', () => {
    const imp = (stem: string) => importMergekit(readFileSync(path.join(FIX, `${stem}.yml`), 'utf8')).recipe;
    expect(imp('nuslerp')).toMatchObject({ method: 'nuslerp', base: 'llama_base.pt', models: [{ path: 'llama_a.pt', weight: 0.3 }, { path: 'llama_b.pt', weight: 0.7 }], parameters: { nuslerp_flatten: false, nuslerp_row_wise: false } });
    expect(imp('karcher').models!.map((m) => m.path)).toEqual(['llama_a.pt', 'llama_b.pt', 'llama_c.pt', 'llama_base.pt']);
    expect(imp('karcher').base).toBeUndefined();
    expect(imp('sce')).toMatchObject({ base: 'llama_base.pt', models: [{ path: 'llama_a.pt' }, { path: 'llama_b.pt' }, { path: 'llama_c.pt' }], layers: [{ match: '*', over: 'blocks', parameters: { select_topk: [0.3, 0.8] } }] });
    expect(imp('arcee_fusion')).toMatchObject({ base: 'llama_base.pt', models: [{ path: 'llama_b.pt' }] });
    expect(imp('nearswap')).toMatchObject({ parameters: { t: 0.02 }, layers: [{ match: '*self_attn*', parameters: { t: 0.05 } }] });
    expect(imp('ramplus_tl').parameters).toEqual({ r: 0.5, alpha: 1, epsilon: 0.05 });
  });

  it('mergekit\'s defaults are written into the recipe; nearswap\'s t, which mergekit requires, is said when missing', () => {
    const mk = (method: string, extra = '') => importMergekit(`merge_method: ${method}\nbase_model: b\nmodels: [{model: x, parameters: {weight: 1}}, {model: y, parameters: {weight: 1}}]\n${extra}`);
    expect(mk('nuslerp').recipe.parameters).toEqual({ nuslerp_row_wise: false, nuslerp_flatten: true });
    expect(mk('karcher').recipe.parameters).toEqual({ max_iter: 10, tol: 1e-5 });
    expect(mk('sce').recipe.parameters).toEqual({ select_topk: 1 });
    expect(mk('ram').recipe.parameters).toEqual({ epsilon: 1e-5 });
    expect(mk('ramplus_tl').recipe.parameters).toEqual({ r: 0.1, alpha: 0.2, epsilon: 1e-5 });
    expect(mk('arcee_fusion').recipe.parameters).toBeUndefined();
    expect(mk('nearswap').notCarried.join('\n')).toMatch(/^t: not set, and mergekit requires it.*0\.0001 is used here/m);
    // sce, karcher and ram take no weights (mergekit's neither): a weight given there is said, not carried.
    expect(mk('sce').notCarried.join('\n')).toMatch(/models\[x\]\.parameters\.weight: not used here/);
  });
});

describe('recipe → mergekit config → recipe gives the recipe back', () => {
  // Canonical recipes (what an import writes): a value a "*" rule covers everywhere is only in that rule.
  const recipes: Record<string, string> = {
    nuslerp: 'method: nuslerp\nmodels: [{path: a.pt, weight: 0.25}, {path: b.pt, weight: 0.75}]\nbase: base.pt\nparameters: {nuslerp_row_wise: true, nuslerp_flatten: false}\nlayers:\n  - {match: "*mlp*", weights: [0.5, 0.5]}\n',
    karcher: 'method: karcher\nmodels: [a.pt, b.pt, c.pt]\nparameters: {tol: 0.0001}\nlayers:\n  - {match: "*embed*", parameters: {max_iter: 40}}\n  - {match: "*", over: blocks, parameters: {max_iter: [5, 30]}}\n',
    sce: 'method: sce\nmodels: [a.pt, b.pt, c.pt]\nbase: base.pt\nparameters: {select_topk: 0.4}\nlayers:\n  - {match: "*self_attn*", parameters: {select_topk: 0.9}}\n',
    nearswap: 'method: nearswap\nmodels: [a.pt]\nbase: base.pt\nparameters: {t: 0.003}\n',
    arcee_fusion: 'method: arcee_fusion\nmodels: [a.pt]\nbase: base.pt\nparameters: {}\n',
    ram: 'method: ram\nmodels: [a.pt, b.pt]\nbase: base.pt\nparameters: {epsilon: 0.001}\n',
    ramplus_tl: 'method: ramplus_tl\nmodels: [a.pt, b.pt, c.pt]\nbase: base.pt\nparameters: {alpha: 0.6, epsilon: 0.0002}\nlayers:\n  - {match: "*", over: blocks, parameters: {r: [0.1, 0.5]}}\n',
  };
  for (const [method, text] of Object.entries(recipes)) {
    it(`${method}: every parameter written explicitly, and imported back equal`, () => {
      const x: Recipe = parseRecipe(`${text}output: {path: out.safetensors, dtype: f32}\n`);
      const exported = exportMergekit(x);
      const cfg = parse(exported.yaml) as { merge_method: string; parameters?: Record<string, unknown> };
      expect(cfg.merge_method).toBe(method);
      const defaults = getMethod(method).params.parse({}) as Record<string, unknown>;
      for (const k of Object.keys(defaults).filter((k) => k !== 'seed')) expect(cfg.parameters, k).toHaveProperty(k);
      const expectedNotes = method === 'arcee_fusion' ? [/^parameters\.seed: /, /^output path /] : [/^output path /];
      // Each weights file (a.pt, …) is noted as not a model folder (model-folders.test.ts checks that note).
      const notes = exported.notCarried.filter((n) => !/^\w+\.pt: mergekit reads model folders/.test(n));
      expect(exported.notCarried.length - notes.length).toBe(x.models!.length + (x.base ? 1 : 0));
      expect(notes.length).toBe(expectedNotes.length);
      notes.forEach((n, i) => expect(n).toMatch(expectedNotes[i]));
      const back = importMergekit(exported.yaml, { output: 'out.safetensors' }).recipe;
      // arcee_fusion's seed is ours (mergekit's sample is its own): it comes back as the default.
      expect(back).toEqual(method === 'arcee_fusion' ? { ...x, parameters: undefined } : x);
    });
  }

  it('linear: exported as mergekit\'s linear with its normalize; imported as the same combination under our names (weighted, or sum)', () => {
    for (const normalize of [true, false]) {
      const x = parseRecipe(`method: linear\nmodels: [{path: a.pt, weight: 0.6}, {path: b.pt, weight: 0.4}]\nparameters: {normalize: ${normalize}}\noutput: {path: out.safetensors, dtype: f32}\n`);
      const cfg = parse(exportMergekit(x).yaml) as { merge_method: string; parameters: Record<string, unknown>; models: unknown[] };
      expect(cfg).toMatchObject({ merge_method: 'linear', parameters: { normalize }, models: [{ model: 'a.pt', parameters: { weight: 0.6 } }, { model: 'b.pt', parameters: { weight: 0.4 } }] });
      const back = importMergekit(exportMergekit(x).yaml, { output: 'out.safetensors' }).recipe;
      expect(back).toEqual({ ...x, method: normalize ? 'weighted' : 'sum', parameters: undefined });
    }
  });

  it('the new methods\' configs themselves: import → export → import is a fixed point', () => {
    for (const stem of NEW) {
      const first = importMergekit(readFileSync(path.join(FIX, `${stem}.yml`), 'utf8'), { output: 'out.safetensors' }).recipe;
      const back = importMergekit(exportMergekit(first).yaml, { output: 'out.safetensors' }).recipe;
      expect(back, stem).toEqual(first);
    }
  });
});
