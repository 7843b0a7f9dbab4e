// Every merge method against a straightforward reference written here (f64, plain loops), on several
// shapes, plus hand-computed cases for the sparsifying methods and reproducibility of random drops.
import { describe, expect, it } from 'vitest';
import { mulberry32, tensorSeed } from '../../../main/engine/merge/kernels/random';
import { dareDrop, dellaDrop, magnitudeRanks, rowRankNorms } from '../../../main/engine/merge/kernels/sparsify';
import { describeMethods, describeParams, getMethod, METHODS, type MergeMethod, type Params, type ParamValue } from '../../../main/engine/merge/methods';

const SHAPES = [[7], [3, 5], [2, 3, 4], [1]];

function randomTensor(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

function run(id: string, models: Float32Array[], opts: { base?: Float32Array; weights?: number[]; params?: Record<string, ParamValue>; name?: string; shape?: number[] } = {}): Float32Array {
  const m: MergeMethod = getMethod(id);
  const params = m.params.parse(opts.params ?? {}) as Params;
  return m.kernel({ models, base: opts.base, weights: opts.weights ?? models.map(() => 1), params, seed: tensorSeed(Number(params.seed ?? 0), opts.name ?? 't'), name: opts.name ?? 't', shape: opts.shape });
}

/** A random source that returns the given numbers in turn. */
const sequence = (xs: number[]) => { let i = 0; return () => xs[i++ % xs.length]; };

function expectClose(actual: Float32Array, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    if (Math.abs(actual[i] - e) > tol * Math.max(1, Math.abs(e))) {
      throw new Error(`index ${i}: got ${actual[i]}, expected ${e}`);
    }
  }
}

const n = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

describe('linear methods match a plain reference', () => {
  for (const shape of SHAPES) {
    const len = n(shape);
    const models = [1, 2, 3].map((s) => randomTensor(len, s * 17 + len));
    const base = randomTensor(len, 999 + len, 0.5);
    const w = [1, 2, 0.5];
    it(`mean, weighted, sum on ${shape.join('×')}`, () => {
      expectClose(run('mean', models), Array.from({ length: len }, (_, i) => (models[0][i] + models[1][i] + models[2][i]) / 3));
      expectClose(run('weighted', models, { weights: w }), Array.from({ length: len }, (_, i) => (w[0] * models[0][i] + w[1] * models[1][i] + w[2] * models[2][i]) / 3.5));
      expectClose(run('sum', models), Array.from({ length: len }, (_, i) => models[0][i] + models[1][i] + models[2][i]));
    });
    it(`add_difference, task_arithmetic, ema on ${shape.join('×')}`, () => {
      expectClose(run('add_difference', models, { params: { multiplier: 0.7 } }), Array.from({ length: len }, (_, i) => models[0][i] + 0.7 * (models[1][i] - models[2][i])));
      expectClose(run('task_arithmetic', models, { base, weights: w, params: { lambda: 0.8 } }),
        Array.from({ length: len }, (_, i) => base[i] + 0.8 * w.reduce((s, wi, m) => s + wi * (models[m][i] - base[i]), 0)));
      expectClose(run('ema', models, { params: { decay: 0.6 } }),
        Array.from({ length: len }, (_, i) => 0.6 * (0.6 * models[0][i] + 0.4 * models[1][i]) + 0.4 * models[2][i]));
    });
    it(`slerp and multislerp on ${shape.join('×')}`, () => {
      const [a, b] = models;
      const cos = dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
      const t = 0.3;
      const th = Math.acos(cos);
      const ref = Math.abs(cos) > 0.9995
        ? Array.from({ length: len }, (_, i) => (1 - t) * a[i] + t * b[i])
        : Array.from({ length: len }, (_, i) => (Math.sin((1 - t) * th) * a[i] + Math.sin(t * th) * b[i]) / Math.sin(th));
      expectClose(run('slerp', [a, b], { params: { t } }), ref, 1e-4);
      // multislerp reference: the formula written out with arrays of numbers.
      const wn = w.map((x) => x / 3.5);
      const norms = models.map((m) => Math.sqrt(dot(m, m)));
      const units = models.map((m, k) => Array.from(m, (x) => x / (norms[k] + 1e-8)));
      let mu = Array.from({ length: len }, (_, i) => units.reduce((s, u, k) => s + wn[k] * u[i], 0));
      const muNorm = Math.sqrt(dot(mu, mu));
      mu = mu.map((x) => x / muNorm);
      const tan = Array.from({ length: len }, (_, i) => units.reduce((s, u, k) => s + wn[k] * (u[i] - dot(u, mu) * mu[i]), 0));
      const tn = Math.sqrt(dot(tan, tan)) + 1e-8;
      const avg = norms.reduce((s, x, k) => s + wn[k] * x, 0);
      expectClose(run('multislerp', models, { weights: w }), mu.map((m, i) => (m * Math.cos(tn) + tan[i] * Math.sin(tn) / tn) * avg), 1e-4);
    });
    it(`model_stock on ${shape.join('×')}`, () => {
      const d = models.map((m) => Array.from(m, (x, i) => x - base[i]));
      let c = 0;
      for (const [p, q] of [[0, 1], [0, 2], [1, 2]]) c += dot(d[p], d[q]) / Math.sqrt(dot(d[p], d[p]) * dot(d[q], d[q]));
      c = Math.max(0, c / 3);
      const t = (3 * c) / (1 + 2 * c);
      expectClose(run('model_stock', models, { base }), Array.from({ length: len }, (_, i) => t * ((models[0][i] + models[1][i] + models[2][i]) / 3) + (1 - t) * base[i]), 1e-4);
    });
    it(`sparsifying methods at density 1 reduce to their dense form on ${shape.join('×')}`, () => {
      const ta = run('task_arithmetic', models, { base, weights: w });
      expectClose(run('dare_linear', models, { base, weights: w, params: { density: 1 } }), ta);
      expectClose(run('della_linear', models, { base, weights: w, params: { density: 1 } }), ta);
      // At density 1 mergekit's breadcrumbs keeps everything, gamma or not.
      expectClose(run('breadcrumbs', models, { base, weights: w, params: { density: 1, gamma: 0.3 } }), ta);
      const tiesDense = run('ties', models, { base, weights: w, params: { density: 1 } });
      const tiesPlain = run('ties', models, { base, weights: w, params: { density: 1, normalize: false } });
      // dare_ties and breadcrumbs_ties do not normalise by default (mergekit's defaults); della does.
      expectClose(run('dare_ties', models, { base, weights: w, params: { density: 1 } }), tiesPlain);
      expectClose(run('breadcrumbs_ties', models, { base, weights: w, params: { density: 1 } }), tiesPlain);
      expectClose(run('della', models, { base, weights: w, params: { density: 1 } }), tiesDense);
      expectClose(run('task_arithmetic', models, { base, weights: w, params: { normalize: true } }),
        Array.from({ length: len }, (_, i) => base[i] + w.reduce((s2, wi, m) => s2 + wi * (models[m][i] - base[i]), 0) / 3.5));
    });
  }
});

describe('hand-computed cases', () => {
  const base = new Float32Array([0, 0, 0, 0]);
  const m1 = new Float32Array([1, -2, 3, 0.5]);
  const m2 = new Float32Array([-1, 1, 2, -4]);

  it('TIES keeps the top half, elects signs, divides by the agreeing weights', () => {
    // δ₁ trimmed → [0, -2, 3, 0]; δ₂ → [0, 0, 2, -4]; signs of the sum: [0, -, +, -].
    expectClose(run('ties', [m1, m2], { base, params: { density: 0.5 } }), [0, -2, 2.5, -4]);
    // Weights 2 and 1: index 2 is (2·3 + 1·2) / (2 + 1).
    expectClose(run('ties', [m1, m2], { base, weights: [2, 1], params: { density: 0.5 } }), [0, -2, 8 / 3, -4]);
    // λ scales the merged vector and the base is added back.
    const b = new Float32Array([1, 1, 1, 1]);
    const plus = (a: Float32Array) => a.map((x) => x + 1);
    expectClose(run('ties', [plus(m1), plus(m2)], { base: b, params: { density: 0.5, lambda: 0.5 } }), [1, 0, 2.25, -1]);
  });

  it('breadcrumbs drops the top gamma and the tail below density', () => {
    const d = new Float32Array([5, -4, 3, -2, 1, 0.5, 0.25, 0.1, 0.05, 0.01]);
    const zero = new Float32Array(10);
    expectClose(run('breadcrumbs', [d], { base: zero, params: { density: 0.5, gamma: 0.1 } }), [0, -4, 3, -2, 1, 0.5, 0, 0, 0, 0]);
  });

  it('DARE keeps entries or drops them, reproducibly by seed and name; kept ones scaled by one L1 factor (mergekit) by default', () => {
    const len = 20000;
    const delta = randomTensor(len, 5);
    const zero = new Float32Array(len);
    const out = run('dare_linear', [delta], { base: zero, params: { density: 0.3, seed: 7 }, name: 'layer.weight' });
    let kept = 0;
    let l1 = 0;
    let keptL1 = 0;
    for (let i = 0; i < len; i++) {
      l1 += Math.abs(delta[i]);
      if (out[i] !== 0) { kept++; keptL1 += Math.abs(delta[i]); }
    }
    for (let i = 0; i < len; i++) if (out[i] !== 0) expect(out[i]).toBeCloseTo(delta[i] * (l1 / keptL1), 5);
    // Binomial(20000, 0.3): mean 6000, sd ≈ 65; ±400 is over 6 sd.
    expect(Math.abs(kept - 6000)).toBeLessThan(400);
    const inverse = run('dare_linear', [delta], { base: zero, params: { density: 0.3, seed: 7, rescale: 'inverse' }, name: 'layer.weight' });
    for (let i = 0; i < len; i++) expect(inverse[i] === 0).toBe(out[i] === 0);
    for (let i = 0; i < len; i++) if (inverse[i] !== 0) expect(inverse[i]).toBeCloseTo(delta[i] / 0.3, 5);
    const again = run('dare_linear', [delta], { base: zero, params: { density: 0.3, seed: 7 }, name: 'layer.weight' });
    expect(Buffer.from(again.buffer).equals(Buffer.from(out.buffer))).toBe(true);
    const otherSeed = run('dare_linear', [delta], { base: zero, params: { density: 0.3, seed: 8 }, name: 'layer.weight' });
    expect(Buffer.from(otherSeed.buffer).equals(Buffer.from(out.buffer))).toBe(false);
    const otherName = run('dare_linear', [delta], { base: zero, params: { density: 0.3, seed: 7 }, name: 'layer.bias' });
    expect(Buffer.from(otherName.buffer).equals(Buffer.from(out.buffer))).toBe(false);
    const ties = run('dare_ties', [delta], { base: zero, params: { density: 0.3, seed: 7 }, name: 'layer.weight' });
    expect(Buffer.from(run('dare_ties', [delta], { base: zero, params: { density: 0.3, seed: 7 }, name: 'layer.weight' }).buffer).equals(Buffer.from(ties.buffer))).toBe(true);
  });

  it('rescale l1 | inverse | none on a hand-computed DARE drop', () => {
    // rand 0.1, 0.9, 0.2, 0.8 at density 0.5 keeps entries 0 and 2 of [1, −2, 3, −4]: ‖δ‖₁ = 10, ‖kept‖₁ = 4.
    const d = () => new Float32Array([1, -2, 3, -4]);
    const r = () => sequence([0.1, 0.9, 0.2, 0.8]);
    expect(Array.from(dareDrop(d(), 0.5, 'l1', r()))).toEqual([2.5, 0, 7.5, 0]);
    expect(Array.from(dareDrop(d(), 0.5, 'inverse', r()))).toEqual([2, 0, 6, 0]);
    expect(Array.from(dareDrop(d(), 0.5, 'none', r()))).toEqual([1, 0, 3, 0]);
    expect(Array.from(dareDrop(d(), 1, 'l1', r()))).toEqual([1, -2, 3, -4]); // density 1: nothing random
  });

  it('rescale l1 | inverse | none on a hand-computed DELLA drop (p by rank: 0.1, 0.9, 0.5)', () => {
    // |δ| = 0.1, 3, 1 → ranks 0, 2, 1 of 2 → p = 0.5 − 0.4 + 0.8·(0, 1, 0.5) = 0.1, 0.9, 0.5.
    // rand 0.05, 0.5, 0.6: keep, keep, drop → kept [0.1, −3, 0]; ‖δ‖₁ = 4.1, ‖kept‖₁ = 3.1.
    const d = () => new Float32Array([0.1, -3, 1]);
    const r = () => sequence([0.05, 0.5, 0.6]);
    expectClose(dellaDrop(d(), [3], 0.5, 0.4, 'l1', r()), [0.1 * 4.1 / 3.1, -3 * 4.1 / 3.1, 0], 1e-6);
    expectClose(dellaDrop(d(), [3], 0.5, 0.4, 'inverse', r()), [0.1 / 0.1, -3 / 0.9, 0], 1e-6);
    expectClose(dellaDrop(d(), [3], 0.5, 0.4, 'none', r()), [0.1, -3, 0], 1e-6);
  });

  it('DELLA ranks magnitudes within each row (along dimension 1), as mergekit', () => {
    const abs = new Float32Array([1, 2, 3, 30, 20, 10]);
    expect(Array.from(rowRankNorms(abs, [2, 3]))).toEqual([0, 0.5, 1, 1, 0.5, 0]);
    expect(Array.from(rowRankNorms(abs, [6])).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 0.2, 0.4, 1, 0.8, 0.6]); // a 1-D tensor is one row
    // A conv weight [out, in, kh, kw] ranks over `in` for each (out, kh, kw).
    const conv = new Float32Array([5, 1, 2, 9, 7, 3, 4, 8]); // [1, 2, 2, 2]: fibres (0,4), (1,5), (2,6), (3,7)
    expect(Array.from(rowRankNorms(conv, [1, 2, 2, 2]))).toEqual([0, 0, 0, 1, 1, 1, 1, 0]);
    // Each row's smallest entry is kept with p = density − ε, its largest with density + ε.
    const rows = 200;
    const cols = 50;
    const delta = new Float32Array(rows * cols);
    for (let i = 0; i < delta.length; i++) delta[i] = (i % cols) + 1 + (Math.floor(i / cols) % 7) * 0.001;
    let small = 0;
    let large = 0;
    for (let seed = 0; seed < 20; seed++) {
      const out = run('della', [delta], { base: new Float32Array(delta.length), params: { density: 0.4, epsilon: 0.3, seed }, shape: [rows, cols], name: `s${seed}` });
      for (let r = 0; r < rows; r++) { if (out[r * cols] !== 0) small++; if (out[r * cols + cols - 1] !== 0) large++; }
    }
    // p = 0.1 and 0.7 over 4000 draws each: sd ≈ 0.005 and 0.007.
    expect(Math.abs(small / 4000 - 0.1)).toBeLessThan(0.04);
    expect(Math.abs(large / 4000 - 0.7)).toBeLessThan(0.04);
  });

  it('DELLA refuses density ± epsilon outside (0, 1), as mergekit does; its default epsilon is 0.15', () => {
    expect(() => getMethod('della').params.parse({ density: 0.9 })).toThrow(/density ± epsilon must lie inside \(0, 1\)[^]*0\.9 with epsilon 0\.15/);
    expect(() => getMethod('della').params.parse({ density: 0.1, epsilon: 0.1 })).toThrow(/inside \(0, 1\)/);
    expect(getMethod('della').params.parse({})).toMatchObject({ epsilon: 0.15, normalize: true, rescale: 'l1' });
    expect(getMethod('della').params.parse({ density: 1, epsilon: 0.3 })).toMatchObject({ density: 1 }); // nothing dropped at 1
  });

  it('sign election on wᵢδᵢ with negative weights; a zero sum elects +', () => {
    const zero = new Float32Array(3);
    // δ = [1, 1, −1] and [2, −1, 1] with weights 1, −1: wδ = [1, 1, −1], [−2, 1, −1]; sums −1, 2, −2 → −, +, −.
    // Entry 0: only model 1 agrees (wδ = −2): −2 / −1 = 2. Entry 1: both: (1 + 1) / (1 − 1 = 0, taken as 1) = 2.
    // Entry 2: both agree on −: (−1 − 1) / 1 = −2.
    expectClose(run('ties', [new Float32Array([1, 1, -1]), new Float32Array([2, -1, 1])], { base: zero, weights: [1, -1], params: { density: 1 } }), [2, 2, -2]);
    // wδ = +1 and −1: the sum is exactly 0, + is elected, the +1 is kept.
    expectClose(run('ties', [new Float32Array([1, 0, 0]), new Float32Array([-1, 0, 0])], { base: zero, params: { density: 1 } }), [1, 0, 0]);
  });

  it('model_stock: orthogonal task vectors give the base; t = 2cos/(1+cos) for two', () => {
    const zero = new Float32Array(2);
    expectClose(run('model_stock', [new Float32Array([1, 0]), new Float32Array([0, 1])], { base: zero }), [0, 0]);
    const c = Math.SQRT1_2;
    const t = (2 * c) / (1 + c);
    expectClose(run('model_stock', [new Float32Array([1, 1]), new Float32Array([1, 0])], { base: zero }), [t, t * 0.5]);
  });

  it('slerp: t = 0 is the first model exactly, quarter circle at t = 0.5, lerp when parallel', () => {
    const a = new Float32Array([0.3, -1.7, 2.5]);
    const b = new Float32Array([1.1, 0.4, -0.2]);
    expect(Array.from(run('slerp', [a, b], { params: { t: 0 } }))).toEqual(Array.from(a));
    expectClose(run('slerp', [new Float32Array([1, 0]), new Float32Array([0, 1])], { params: { t: 0.5 } }), [Math.SQRT1_2, Math.SQRT1_2]);
    expectClose(run('slerp', [new Float32Array([1, 2]), new Float32Array([2, 4])], { params: { t: 0.5 } }), [1.5, 3]);
  });

  it('multislerp of two orthogonal vectors follows the arc and keeps the norm', () => {
    expectClose(run('multislerp', [new Float32Array([2, 0]), new Float32Array([0, 2])]), [Math.SQRT2, Math.SQRT2], 1e-5);
  });

  it('ema over three checkpoints', () => {
    expectClose(run('ema', [new Float32Array([1]), new Float32Array([2]), new Float32Array([3])], { params: { decay: 0.5 } }), [2.25]);
  });
});

describe('the registry', () => {
  it('has every method once, each with text, a strict parameter schema and slider ranges', () => {
    const ids = METHODS.map((m) => m.id);
    expect(ids).toEqual(['mean', 'weighted', 'sum', 'linear', 'add_difference', 'task_arithmetic', 'ties', 'dare_linear', 'dare_ties', 'breadcrumbs', 'breadcrumbs_ties', 'della', 'della_linear', 'sce', 'ram', 'ramplus_tl', 'model_stock', 'slerp', 'nuslerp', 'multislerp', 'karcher', 'nearswap', 'arcee_fusion', 'ema', 'fisher', 'regmean', 'passthrough']);
    for (const m of METHODS) {
      expect(m.formula.length).toBeGreaterThan(5);
      expect(m.whenToUse).toMatch(/^Use it .*\.$/);
      expect(m.params.safeParse({ nonsense: 1 }).success).toBe(false);
      for (const p of describeParams(m)) {
        if (p.kind === 'number') {
          expect(p.min).toBeLessThanOrEqual(Number(p.default));
          expect(Number(p.default)).toBeLessThanOrEqual(p.max);
        }
        expect(p.step).toBeGreaterThan(0);
        expect(p.description.length).toBeGreaterThan(5);
      }
    }
    expect(describeParams(getMethod('ties')).map((p) => p.name)).toEqual(['density', 'lambda', 'normalize', 'rescale']);
    // mergekit bounds no λ (a negative one subtracts the task vector): the slider spans [−2, 2], the value is free.
    expect(describeParams(getMethod('ties')).find((p) => p.name === 'lambda')).toMatchObject({ min: -2, max: 2, bounded: false });
    expect(getMethod('task_arithmetic').params.safeParse({ lambda: -3.5 }).success).toBe(true);
    expect(describeParams(getMethod('ties')).find((p) => p.name === 'rescale')).toMatchObject({ kind: 'choice', default: 'none', choices: ['none', 'l1'] });
    // Booleans are switches and rescale a choice, with mergekit's per-method defaults.
    expect(describeParams(getMethod('ties')).find((p) => p.name === 'normalize')).toMatchObject({ kind: 'boolean', default: true });
    expect(describeParams(getMethod('dare_ties')).find((p) => p.name === 'normalize')).toMatchObject({ kind: 'boolean', default: false });
    expect(describeParams(getMethod('dare_ties')).find((p) => p.name === 'rescale')).toMatchObject({ kind: 'choice', default: 'l1', choices: ['l1', 'inverse', 'none'] });
    expect(describeParams(getMethod('ties')).find((p) => p.name === 'density')).toMatchObject({ kind: 'number', perModel: true });
    const infos = describeMethods();
    expect(JSON.parse(JSON.stringify(infos))).toEqual(infos);
    expect(infos.find((m) => m.id === 'slerp')).toMatchObject({ minModels: 2, maxModels: 2, needsBase: false, params: [{ name: 't', default: 0.5, min: 0, max: 1 }] });
    expect(() => getMethod('average')).toThrow(/unknown merge method "average".*mean, weighted/);
  });
});

describe('magnitude ranking', () => {
  it('matches a comparator sort, ties in index order, on data with many ties', () => {
    const r = mulberry32(3);
    const abs = Float32Array.from({ length: 50000 }, () => Math.round(r() * 300) / 7); // ~300 distinct values
    const order = Array.from({ length: abs.length }, (_, i) => i).sort((x, y) => abs[x] - abs[y] || x - y);
    const want = new Uint32Array(abs.length);
    order.forEach((i, rank) => { want[i] = rank; });
    expect(Array.from(magnitudeRanks(abs))).toEqual(Array.from(want));
    expect(Array.from(magnitudeRanks(new Float32Array([0.5, 0, 2, 0.5, Infinity, 1e-30])))).toEqual([2, 0, 4, 3, 5, 1]);
  });
});
