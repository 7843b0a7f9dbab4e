// Soups and parameter search on real MNIST models: the greedy rule on a hand-made case, then two MLPs
// fine-tuned from one initialisation plus one trained on rotated digits (which the greedy soup must skip),
// chosen on the held-out split mnist:val and reported on mnist:test.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../main/cli';
import { applyValues, runSearch, searchPoints } from '../../../main/engine/compare/search';
import { greedySoup, runSoup } from '../../../main/engine/compare/soup';
import { listRuns } from '../../../main/engine/compare/history';
import { loadDataset } from '../../../main/engine/data';
import { evaluateModel } from '../../../main/engine/evaluate';
import { lerpStates, loadNet, netModel } from '../../../main/engine/models';
import { tempDir } from '../train/helpers';
import { trainMlp } from './helpers';

describe('the greedy rule', () => {
  it('tries models best first and keeps one only when the soup gets strictly better', async () => {
    const table: Record<string, number> = { '1,3': 0.96, '1,3,0': 0.955, '1,3,2': 0.97 };
    const tried: string[] = [];
    const g = await greedySoup([0.9, 0.95, 0.5, 0.92], async (ing) => { tried.push(ing.join(',')); return table[ing.join(',')]; });
    expect(g.order).toEqual([1, 3, 0, 2]);
    expect(tried).toEqual(['1,3', '1,3,0', '1,3,2']);
    expect(g.ingredients).toEqual([1, 3, 2]);
    expect(g.steps.map((s) => s.added)).toEqual([true, true, false, true]);
    expect(g.best).toBe(0.97);
    // equal is not better (the reference's `>`)
    expect((await greedySoup([0.8, 0.7], async () => 0.8)).ingredients).toEqual([0]);
  });
});

describe('search points', () => {
  it('a grid within the budget, a seeded random search, parameters only where the method has them', () => {
    expect(searchPoints([{ name: 'alpha', min: 0, max: 1 }], 5, 'grid', 0, 'weighted').map((p) => p.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const g = searchPoints([{ name: 'method', values: ['weighted', 'slerp'] }, { name: 'alpha', min: 0, max: 1 }], 6, 'grid', 0, 'weighted');
    expect(g).toEqual([
      { method: 'weighted', alpha: 0 }, { method: 'weighted', alpha: 0.5 }, { method: 'weighted', alpha: 1 },
      { method: 'slerp', alpha: 0 }, { method: 'slerp', alpha: 0.5 }, { method: 'slerp', alpha: 1 },
    ]);
    // the real methods decide: SLERP has no density, so its share is spent on α alone
    const mixed = searchPoints([{ name: 'method', values: ['slerp', 'ties'] }, { name: 'alpha', min: 0, max: 1 }, { name: 'parameters.density', min: 0.1, max: 0.9 }], 8, 'grid', 0, 'weighted');
    expect(mixed.filter((p) => p.method === 'slerp').every((p) => !('parameters.density' in p))).toBe(true);
    expect(new Set(mixed.filter((p) => p.method === 'ties').map((p) => p['parameters.density'])).size).toBe(4);
    const r1 = searchPoints([{ name: 'alpha', min: 0.2, max: 0.4 }], 10, 'random', 7, 'weighted');
    expect(r1).toEqual(searchPoints([{ name: 'alpha', min: 0.2, max: 0.4 }], 10, 'random', 7, 'weighted'));
    expect(r1.every((p) => (p.alpha as number) >= 0.2 && (p.alpha as number) <= 0.4)).toBe(true);
    const base = { method: 'weighted', models: [{ path: 'a' }, { path: 'b' }], parameters: { density: 0.5 }, output: { path: 'o.safetensors' } };
    expect(applyValues(base, { alpha: 0.25 })).toEqual({ method: 'weighted', models: [{ path: 'a', weight: 0.75 }, { path: 'b', weight: 0.25 }], output: { path: 'o.safetensors' } });
    expect(applyValues(base, { method: 'slerp', alpha: 0.25 }).parameters).toEqual({ t: 0.25 });
  });
});

describe('soups and search on MNIST', () => {
  const ws = tempDir('soup-ws');
  let a: string, a3: string, b: string, rot: string;
  beforeAll(async () => {
    const ra = await trainMlp(11, { epochs: 3, keepFrom: 2, lr: 0.1, outDir: path.join(tempDir('soup'), 'a') });
    const rb = await trainMlp(12, { epochs: 2, initFrom: ra.outDir, outDir: path.join(tempDir('soup'), 'b') });
    const rr = await trainMlp(13, { epochs: 2, initFrom: ra.outDir, dataset: 'mnist:fit?task=rotate:90', outDir: path.join(tempDir('soup'), 'rot') });
    [a, a3, b, rot] = [ra.checkpoints[0], ra.checkpoints[1], rb.checkpoints[1], rr.checkpoints[1]];
  }, 300_000);

  it('greedy soup: the rotated-digit model is tried and skipped; the soup is chosen on mnist:val and reported on mnist:test', async () => {
    const r = await runSoup({ models: [{ path: rot }, { path: a }, { path: a3 }, { path: b }], heldout: 'mnist:val', test: 'mnist:test', kind: 'greedy' }, undefined, { workspace: ws });
    expect(r.heldout).toBe('mnist:val');
    expect(r.order[r.order.length - 1]).toBe(0); // worst on upright digits
    const rotStep = r.steps.find((s) => s.model === 0)!;
    expect(rotStep.added).toBe(false);
    expect(rotStep.soupHeldout).toBeLessThanOrEqual(r.steps.filter((s) => s.added).at(-1)!.soupHeldout);
    expect(r.ingredients).not.toContain(0);
    expect(r.ingredients.length).toBeGreaterThanOrEqual(2); // checkpoints of one run improve on each other
    expect(r.soup.heldout).toBeGreaterThanOrEqual(Math.max(...r.models.map((m) => m.heldout)));
    // the soup written by the merge engine scores what the in-memory trial scored
    const lastAdded = r.steps.filter((s) => s.added).at(-1)!;
    expect(r.soup.heldout).toBe(lastAdded.soupHeldout);
    expect(r.soup.test).toBeGreaterThan(0.5);
    console.log(`greedy soup: models held-out ${r.models.map((m) => (100 * m.heldout).toFixed(2)).join(' / ')} %, soup ${(100 * r.soup.heldout).toFixed(2)} % held-out, ${(100 * r.soup.test!).toFixed(2)} % test, ingredients ${r.ingredients.join(',')}`);
    const kinds = (await listRuns(ws)).map((x) => x.kind);
    expect(kinds).toContain('soup');
  }, 300_000);

  it('uniform soup of two: the mean of their weights, written with its recipe and hashes', async () => {
    const r = await runSoup({ models: [{ path: a }, { path: b }], heldout: 'mnist:val', kind: 'uniform' }, undefined, { workspace: ws });
    expect(r.ingredients).toEqual([0, 1]);
    const [na, nb] = [await loadNet(a), await loadNet(b)];
    const val = await loadDataset('mnist:val');
    const ref = await evaluateModel(netModel(na, lerpStates(na.state, nb.state, 0.5)), val);
    expect(r.soup.heldout).toBeCloseTo(ref.accuracy, 3);
    expect(r.soup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.soup.mergeRunDir).toBeDefined();
    await expect(runSoup({ models: [{ path: a }, { path: b }], heldout: 'mnist:test', test: 'mnist:test', kind: 'uniform' })).rejects.toThrow(/must not be the test split/);
  }, 300_000);

  it('search: α between the two, live points, the best written and scored on test', async () => {
    const metrics: Record<string, unknown>[] = [];
    const ctx = { signal: new AbortController().signal, progress: () => {}, log: () => {}, metric: (name: string, v: Record<string, unknown>) => { if (name === 'search') metrics.push(v); } };
    const out = path.join(tempDir('search'), 'best.safetensors');
    const r = await runSearch({
      recipe: { method: 'weighted', models: [{ path: a }, { path: b }], output: { path: out } },
      dimensions: [{ name: 'alpha', min: 0, max: 1 }], budget: 5, heldout: 'mnist:val', test: 'mnist:test',
    }, ctx, { workspace: ws });
    expect(r.trials.map((t) => t.values.alpha)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(metrics.map((m) => m.trial)).toEqual([1, 2, 3, 4, 5]);
    const val = await loadDataset('mnist:val');
    expect(r.trials[0].accuracy).toBe((await evaluateModel(netModel(await loadNet(a)), val)).accuracy);
    expect(r.best.accuracy).toBe(Math.max(...r.trials.map((t) => t.accuracy)));
    expect(r.output.path).toBe(out);
    expect(r.output.heldout).toBe(r.best.accuracy);
    expect(r.output.test).toBeGreaterThan(0.5);
    expect((await listRuns(ws)).filter((x) => x.kind === 'search')).toHaveLength(1);
  }, 300_000);

  it('TIES with a base over three MLPs of one initialisation: budget 11 tries 11 values of λ; without the base it is refused up front', async () => {
    const out = path.join(tempDir('search-ties'), 'best.safetensors');
    const recipe = { method: 'ties', models: [{ path: a3 }, { path: b }, { path: rot }], base: a, parameters: { density: 0.5 }, output: { path: out } };
    const r = await runSearch({ recipe, dimensions: [{ name: 'parameters.lambda', min: 0, max: 2 }], budget: 11, heldout: 'mnist:val' });
    expect(r.trials).toHaveLength(11);
    expect(r.trials.filter((t) => t.error)).toEqual([]);
    expect(new Set(r.trials.map((t) => t.values['parameters.lambda'])).size).toBe(11);
    // λ = 0 is the base itself
    const val = await loadDataset('mnist:val');
    expect(r.trials[0].accuracy).toBe((await evaluateModel(netModel(await loadNet(a)), val)).accuracy);
    expect(new Set(r.trials.map((t) => t.accuracy)).size).toBeGreaterThan(1);
    const noBase = { ...recipe, base: undefined };
    await expect(runSearch({ recipe: noBase, dimensions: [{ name: 'parameters.lambda', min: 0, max: 2 }], budget: 11, heldout: 'mnist:val' }, undefined, { workspace: ws }))
      .rejects.toThrow(/^TIES needs a base model: choose one/);
  }, 300_000);

  it('a try the merge engine refuses keeps its whole reason; the others still run', async () => {
    const out = path.join(tempDir('search-refused'), 'best.safetensors');
    const r = await runSearch({
      recipe: { method: 'weighted', models: [{ path: a }, { path: b }], output: { path: out } },
      dimensions: [{ name: 'weights.1', values: [-1, 1] }], budget: 2, heldout: 'mnist:val',
    });
    expect(r.trials[0].error).toMatch(/^the merge cannot run: the model weights sum to 0 \(1 \+ -1\), and Weighted average divides by their sum; change a weight$/);
    expect(r.trials[1].error).toBeUndefined();
    expect(r.best.trial).toBe(2);
    // the CLI prints the same whole reason on the try's line
    const dir = tempDir('search-cli');
    fs.writeFileSync(path.join(dir, 'two.yaml'), JSON.stringify({ method: 'weighted', models: [{ path: a }, { path: b }], output: { path: path.join(dir, 'best.safetensors') } }));
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...x: unknown[]) => { printed.push(x.join(' ')); });
    try {
      expect(await main(['search', path.join(dir, 'two.yaml'), '--vary', 'weights.1=-1,1', '--budget', '2', '--heldout', 'mnist:val', '--workspace-dir', ws])).toBe(0);
    } finally { spy.mockRestore(); }
    expect(printed[0]).toMatch(/^ {2}1 {2}weights\.1 -1 +the merge cannot run: the model weights sum to 0 \(1 \+ -1\), and Weighted average divides by their sum; change a weight$/);
    expect(printed[1]).toMatch(/^ {2}2 {2}weights\.1 1 +\d+\.\d\d %$/);
  }, 300_000);
});
