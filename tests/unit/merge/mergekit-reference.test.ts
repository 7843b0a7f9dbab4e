// Our mergekit-named methods against mergekit's formulas run in PyTorch (scripts/fixtures/
// make_mergekit_fixtures.py): per-tensor results to 1e-6, the random drops' statistics over seeds, and
// three mergekit configs imported and run on tiny Llama-shaped models, tensor for tensor.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import type { JobContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { mulberry32 } from '../../../main/engine/merge/kernels/random';
import { dareDrop, dellaDrop, type Rescale } from '../../../main/engine/merge/kernels/sparsify';
import { exportMergekit, importMergekit } from '../../../main/engine/merge/mergekit';
import { getMethod, type Params } from '../../../main/engine/merge/methods';
import { buildPlan } from '../../../main/engine/merge/plan';
import { resolveRecipe } from '../../../main/engine/merge/recipe';
import { readModel, tempDir, writeModel } from './model-files';

const FIX = path.resolve(__dirname, '../../fixtures/merge/mergekit');

interface Inputs { shape: number[]; base: number[]; models: number[][] }
interface KernelCase {
  name: string; method: string; params: Record<string, unknown>; weights: number[]; mergekit: number[]; ours?: number[]; note?: string;
  inputs?: string; use?: number; shape?: number[]; base?: number[]; models?: number[][];
}
const kernels = JSON.parse(readFileSync(path.join(FIX, 'kernels.json'), 'utf8')) as { inputs: Record<string, Inputs>; cases: KernelCase[] };

function runCase(c: KernelCase): { out: Float32Array; notes: string[] } {
  const inp: Inputs = c.inputs ? kernels.inputs[c.inputs] : { shape: c.shape!, base: c.base!, models: c.models! };
  const models = inp.models.slice(0, c.use ?? inp.models.length).map((m) => Float32Array.from(m));
  const method = getMethod(c.method);
  const { model_density: perModel, ...rest } = c.params as { model_density?: number[] };
  const params = method.params.parse(rest) as Params;
  const notes: string[] = [];
  const out = method.kernel({
    models, base: Float32Array.from(inp.base), weights: c.weights, params, seed: 1, name: c.name, shape: inp.shape,
    ...(perModel ? { modelParams: perModel.map((density) => ({ ...params, density })) } : {}),
    note: (m) => notes.push(m),
  });
  return { out, notes };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('per-tensor results equal mergekit\'s (PyTorch reference)', () => {
  const plain = kernels.cases.filter((c) => !c.ours);
  it(`covers ties at densities 0.3 and 0.5, weights 1 and 0.5 (and −0.5), normalize on and off; breadcrumbs; DARE/DELLA at density 1 (${plain.length} cases)`, () => {
    const methods = new Set(plain.map((c) => c.method));
    for (const m of ['ties', 'breadcrumbs', 'breadcrumbs_ties', 'dare_ties', 'dare_linear', 'della', 'della_linear', 'task_arithmetic', 'model_stock', 'slerp']) expect(methods).toContain(m);
    const ties = plain.filter((c) => c.method === 'ties');
    expect(new Set(ties.map((c) => c.params.density))).toEqual(new Set([0.3, 0.5, 1]));
    expect(new Set(ties.map((c) => c.params.normalize))).toEqual(new Set([true, false]));
  });
  for (const c of plain) {
    it(c.name, () => {
      const { out, notes } = runCase(c);
      expect(maxDiff(out, c.mergekit)).toBeLessThan(1e-6);
      expect(notes).toEqual([]);
    });
  }
  it('the kept count is int(density·n): TIES at density 0.3 on a 32-entry bias keeps 9 entries per task vector, not 10', () => {
    const c = plain.find((x) => x.method === 'ties' && x.inputs === 'bias32' && x.params.density === 0.3 && x.weights.every((w) => w === 1))!;
    const inp = kernels.inputs.bias32;
    const one = getMethod('ties').kernel({ models: [Float32Array.from(inp.models[0])], base: Float32Array.from(inp.base), weights: [1], params: getMethod('ties').params.parse({ density: 0.3 }) as Params, seed: 0, name: 'b' });
    let changed = 0;
    for (let i = 0; i < one.length; i++) if (one[i] !== Math.fround(inp.base[i])) changed++;
    expect(changed).toBe(9);
    expect(c).toBeDefined();
  });
});

describe('where we deliberately differ, the result is the documented one and the log says so', () => {
  for (const c of kernels.cases.filter((x) => x.ours)) {
    it(`${c.name}${c.note ? ` (${c.note})` : ''}`, () => {
      const { out, notes } = runCase(c);
      expect(maxDiff(out, c.ours!)).toBeLessThan(1e-6);
      expect(maxDiff(c.ours!, c.mergekit)).toBeGreaterThan(1e-3); // it is a real difference
      expect(notes.length).toBeGreaterThan(0);
      expect(notes.join(' ')).toMatch(/mergekit/);
    });
  }
  it('breadcrumbs with n_top = 0: mergekit empties every task vector (the merge is the base); ours keeps the top int(density·n)', () => {
    const c = kernels.cases.find((x) => x.method === 'breadcrumbs' && x.note === 'n_top = 0' && x.inputs === 'bias32')!;
    expect(maxDiff(c.mergekit, kernels.inputs.bias32.base)).toBe(0);
    const { out } = runCase(c);
    expect(maxDiff(out, kernels.inputs.bias32.base)).toBeGreaterThan(1e-3);
  });
});

interface StatCase { method: 'dare' | 'della'; density: number; epsilon?: number; rescale: Rescale; kept_mean: number; kept_sd: number; scale_mean: number; scale_sd: number; mean_over_delta: number; mean_rel_error: number; kept_smallest10?: number; kept_largest10?: number }
const stats = JSON.parse(readFileSync(path.join(FIX, 'stats.json'), 'utf8')) as { shape: number[]; delta: number[]; seeds: number; cases: StatCase[] };

/** Our drops over the same number of seeds, measured as the fixture measured torch.bernoulli's. */
function ourStats(c: { method: 'dare' | 'della'; density: number; epsilon?: number; rescale: Rescale }) {
  const delta = Float32Array.from(stats.delta);
  const [rows, cols] = stats.shape;
  let l1 = 0;
  for (const x of delta) l1 += Math.abs(x);
  const kept: number[] = [];
  const scales: number[] = [];
  const total = new Float64Array(delta.length);
  let lo = 0;
  let hi = 0;
  for (let s = 0; s < stats.seeds; s++) {
    const rand = mulberry32(5000 + s);
    const d = Float32Array.from(delta);
    const r = c.method === 'dare' ? dareDrop(d, c.density, c.rescale, rand) : dellaDrop(d, stats.shape, c.density, c.epsilon!, c.rescale, rand);
    let n = 0;
    let masked = 0;
    for (let i = 0; i < r.length; i++) if (r[i] !== 0) { n++; masked += Math.abs(delta[i]); }
    kept.push(n / r.length);
    scales.push(l1 / masked);
    for (let i = 0; i < r.length; i++) total[i] += r[i];
    if (c.method === 'della') {
      for (let row = 0; row < rows; row++) {
        const idx = Array.from({ length: cols }, (_, j) => row * cols + j).sort((a, b) => Math.abs(delta[a]) - Math.abs(delta[b]));
        for (const i of idx.slice(0, 10)) if (r[i] !== 0) lo++;
        for (const i of idx.slice(-10)) if (r[i] !== 0) hi++;
      }
    }
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < delta.length; i++) { num += (total[i] / stats.seeds) * delta[i]; den += delta[i] * delta[i]; }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { kept: mean(kept), scale: mean(scales), meanOverDelta: num / den, smallest10: lo / (stats.seeds * rows * 10), largest10: hi / (stats.seeds * rows * 10) };
}

describe('DARE and DELLA drops: the same statistics as torch.bernoulli over 400 seeds', () => {
  for (const c of stats.cases) {
    it(`${c.method} density ${c.density}${c.epsilon ? ` ε ${c.epsilon}` : ''} rescale ${c.rescale}`, () => {
      const ours = ourStats(c);
      // Two independent means over 400 seeds: the difference has sd √2·sd/20; allow 5 of those.
      const tol = (sd: number) => 5 * Math.SQRT2 * sd / Math.sqrt(stats.seeds);
      expect(Math.abs(ours.kept - c.kept_mean)).toBeLessThan(tol(c.kept_sd));
      expect(Math.abs(ours.scale - c.scale_mean)).toBeLessThan(tol(c.scale_sd));
      // The mean output's projection on δ: 1 (unbiased) for the L1 rescale of DARE, density for none.
      expect(Math.abs(ours.meanOverDelta - c.mean_over_delta)).toBeLessThan(0.02);
      if (c.method === 'della') {
        expect(Math.abs(ours.smallest10 - c.kept_smallest10!)).toBeLessThan(0.01);
        expect(Math.abs(ours.largest10 - c.kept_largest10!)).toBeLessThan(0.01);
        expect(ours.smallest10).toBeLessThan(c.density - 0.08); // density − ε at the small end of each row…
        expect(ours.largest10).toBeGreaterThan(c.density + 0.08); // …density + ε at the large end
      }
    });
  }
  it('rescale: inverse (ours, the papers\') is unbiased: the mean output over seeds is δ', () => {
    for (const c of [{ method: 'dare' as const, density: 0.3 }, { method: 'della' as const, density: 0.4, epsilon: 0.15 }]) {
      expect(Math.abs(ourStats({ ...c, rescale: 'inverse' }).meanOverDelta - 1)).toBeLessThan(0.02);
    }
  });
});

describe('three mergekit configs, imported and run: the same tensors as mergekit\'s formulas', () => {
  const ctx = (logs: string[]): JobContext => ({ signal: new AbortController().signal, progress: () => {}, log: (m) => logs.push(m), metric: () => {} });
  for (const stem of ['ties', 'slerp', 'dare_ties']) {
    it(`${stem}.yml`, async () => {
      const dir = tempDir(`mk-${stem}`);
      const out = path.join(dir, `${stem}.safetensors`);
      const { recipe, notCarried } = importMergekit(readFileSync(path.join(FIX, `${stem}.yml`), 'utf8'), { output: out });
      // Nothing that changes the tensors is left behind (int8_mask is memory only; layer_range is all layers).
      for (const n of notCarried) expect(n).toMatch(/^parameters\.int8_mask|^slices\[0\]\.layer_range \[0,4\]/);
      const logs: string[] = [];
      await runMerge(await resolveRecipe(recipe, FIX), ctx(logs), { io: { openModel, writerFor } });
      expect(logs.filter((l) => l.startsWith('note:'))).toEqual([]);
      const [ours, ref] = await Promise.all([readModel(out), readModel(path.join(FIX, `${stem}_ref.pt`))]);
      expect([...ours.values.keys()].sort()).toEqual([...ref.values.keys()].sort());
      for (const [name, v] of ref.values) expect(maxDiff(ours.values.get(name)!, v), name).toBeLessThan(1e-6);
    });
  }

  it('dare_ties without density: mergekit\'s density 1, normalize false and rescale are written into the recipe', () => {
    const { recipe } = importMergekit(readFileSync(path.join(FIX, 'dare_ties.yml'), 'utf8'));
    expect(recipe.parameters).toEqual({ normalize: false, lambda: 1, rescale: 'l1', density: 1 });
    expect(recipe.models).toEqual([{ path: 'llama_a.pt', weight: 0.5 }, { path: 'llama_b.pt', weight: 0.3 }, { path: 'llama_c.pt', weight: 0.2 }]);
    expect(recipe.base).toBe('llama_base.pt');
  });

  it('gradients run over the layer index: q_proj and k_proj of one block get the same t; the embedding gets the first value', async () => {
    const { recipe } = importMergekit(readFileSync(path.join(FIX, 'slerp.yml'), 'utf8'), { output: path.join(tempDir('mk-plan'), 'o.safetensors') });
    const resolved = await resolveRecipe(recipe, FIX);
    const sources = await Promise.all(resolved.models.map((m) => openModel(m.path)));
    const plan = buildPlan(resolved, { models: sources });
    await Promise.all(sources.map((s) => s.close()));
    const t = (name: string) => plan.tensors.find((x) => x.name === name)!.params.t;
    // [0, 0.5, 0.3, 0.7, 1] at block 1 of 4 (position 1/3 → 4·1/3 = 1.33): 0.5·(2/3) + 0.3·(1/3).
    expect(t('model.layers.1.self_attn.q_proj.weight')).toBeCloseTo(0.5 * (2 / 3) + 0.3 / 3, 12);
    expect(t('model.layers.1.self_attn.k_proj.weight')).toBe(t('model.layers.1.self_attn.q_proj.weight'));
    expect(t('model.layers.3.self_attn.o_proj.weight')).toBe(1);
    expect(t('model.layers.0.mlp.up_proj.weight')).toBe(1);
    expect(t('model.layers.2.input_layernorm.weight')).toBe(0.5); // no filter matches: the fallback value
    expect(t('model.embed_tokens.weight')).toBe(0.5);
  });
});

describe('import ↔ export round trips of the three configs', () => {
  for (const stem of ['ties', 'slerp', 'dare_ties']) {
    it(`${stem}.yml: export writes every value explicitly and imports back to the same recipe`, () => {
      const text = readFileSync(path.join(FIX, `${stem}.yml`), 'utf8');
      const first = importMergekit(text, { output: 'out.safetensors' }).recipe;
      const exported = exportMergekit(first);
      const cfg = parse(exported.yaml) as { merge_method: string; parameters?: Record<string, unknown>; models: { model: string; parameters?: Record<string, unknown> }[] };
      const orig = parse(text) as { merge_method: string };
      expect(cfg.merge_method).toBe(orig.merge_method);
      if (stem !== 'slerp') {
        // mergekit's defaults differ from ours: nothing is left to them.
        expect(cfg.parameters).toMatchObject({ normalize: stem === 'ties', lambda: 1 });
        for (const m of cfg.models.filter((x) => x.model !== 'llama_base.pt')) expect(m.parameters?.weight).toBeDefined();
        const densities = [cfg.parameters?.density, ...cfg.models.map((m) => m.parameters?.density)].filter((d) => d !== undefined);
        expect(densities.length).toBeGreaterThan(0);
      }
      if (stem === 'dare_ties') expect(cfg.parameters).toMatchObject({ density: 1, rescale: true });
      // (these fixtures' models are .pt files, which mergekit would want as folders: said, and nothing else)
      expect(exported.notCarried.filter((n) => !n.startsWith('output path') && !n.includes('mergekit reads model folders'))).toEqual([]);
      const back = importMergekit(exported.yaml, { output: 'out.safetensors' }).recipe;
      expect(back).toEqual(first);
    });
  }
  it('the ties example keeps its per-model gradients and its filtered weight', () => {
    const cfg = parse(exportMergekit(importMergekit(readFileSync(path.join(FIX, 'ties.yml'), 'utf8')).recipe).yaml) as { models: { model: string; parameters: Record<string, unknown> }[] };
    expect(cfg.models).toEqual([
      { model: 'llama_a.pt', parameters: { weight: 1, density: [1, 0.7, 0.1] } },
      { model: 'llama_b.pt', parameters: { weight: [0, 0.3, 0.7, 1], density: 0.5 } },
      { model: 'llama_c.pt', parameters: { weight: [{ filter: 'mlp', value: 0.5 }, { value: 0 }], density: 0.33 } },
    ]);
  });
});

describe('the run\'s log says when a documented difference applied', () => {
  it('model_stock with opposed task vectors: one note per tensor, naming mergekit\'s t', async () => {
    const dir = tempDir('mk-notes');
    const tensor = (name: string, v: number[]) => ({ name, dtype: 'f32' as const, shape: [v.length], values: v });
    const names = Array.from({ length: 25 }, (_, i) => `layer${i}.weight`);
    await writeModel(path.join(dir, 'base.safetensors'), names.map((n) => tensor(n, [0, 0, 0])));
    await writeModel(path.join(dir, 'a.safetensors'), names.map((n) => tensor(n, [1, 0.5, 0])));
    await writeModel(path.join(dir, 'b.safetensors'), names.map((n) => tensor(n, [-1, -0.4, 0.1])));
    const logs: string[] = [];
    const recipe = { method: 'model_stock', models: [{ path: 'a.safetensors' }, { path: 'b.safetensors' }], base: 'base.safetensors', output: { path: 'o.safetensors' } };
    await runMerge(await resolveRecipe(recipe, dir), { signal: new AbortController().signal, progress: () => {}, log: (m) => logs.push(m), metric: () => {} }, { io: { openModel, writerFor } });
    const notes = logs.filter((l) => l.startsWith('note:'));
    expect(notes[0]).toMatch(/^note: layer0\.weight: mean cosine of the task vectors is -0\.9\d* < 0: t = 0 \(the base\) here, where mergekit would use t = /);
    expect(notes).toHaveLength(21); // 20 in full, then a count
    expect(notes[20]).toMatch(/5 more tensor notes/);
    const out = await readModel(path.join(dir, 'o.safetensors'));
    expect(Array.from(out.values.get('layer3.weight')!)).toEqual([0, 0, 0]);
  });
});
