// The mergekit methods added after the first set (linear, nuslerp, karcher, sce, nearswap, arcee_fusion,
// ram, ramplus_tl) against their formulas run in PyTorch (scripts/fixtures/make_mergekit_method_fixtures.py),
// per tensor to 1e-6, plus the behaviour each formula implies, checked by hand.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getMethod, type Params } from '../../../main/engine/merge/methods';
import { fusionImportance, fusionThreshold, QUANTILE_SAMPLE } from '../../../main/engine/merge/methods/arcee_fusion';
import { mulberry32 } from '../../../main/engine/merge/kernels/random';
import { recipeProblems } from '../../../main/engine/merge/preflight';
import type { ResolvedRecipe } from '../../../main/engine/merge/recipe';

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
    models: [{ path: '/tmp/a.safetensors', weight: 1 }, { path: '/tmp/b.safetensors', weight: -1 }], parameters, layers: [], output: { path: '/tmp/o.safetensors' },
  });
  it('normalize (the default) divides by Σw = 0: refused; normalize false: the difference a − b runs', () => {
    expect(recipeProblems(recipe({})).join(' ')).toMatch(/weights sum to 0 \(1 \+ -1\), and Linear \(mergekit\) divides/);
    expect(recipeProblems(recipe({ normalize: true })).join(' ')).toMatch(/sum to 0/);
    expect(recipeProblems(recipe({ normalize: false }))).toEqual([]);
  });
});
