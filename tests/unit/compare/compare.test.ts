// Comparisons on real MNIST models: checkpoints of one MLP run and their average (made by the real merge
// engine), side by side — the table, the parents found through the workspace, the ensemble, seed 002's
// chart, a curve, weight diffs, the run folder with hashes, the HTML report and the CSV.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareCsv } from '../../../main/engine/compare/charts-of';
import { gridOf, recipeParams, runComparison } from '../../../main/engine/compare/compare';
import { tensorDiff } from '../../../main/engine/compare/diff';
import { listRuns } from '../../../main/engine/compare/history';
import type { CompareResult } from '../../../main/engine/compare/types';
import { loadDataset } from '../../../main/engine/data';
import { evaluateModel } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge';
import { loadNet, netModel } from '../../../main/engine/models';
import { writeStateDict } from '../../../main/engine/train/checkpoint';
import { tempDir } from '../train/helpers';
import { trainMlp } from './helpers';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('hand-computed cases', () => {
  it('cosine similarity and relative L2 distance', () => {
    expect(tensorDiff(Float32Array.of(1, 0), Float32Array.of(0, 1))).toEqual({ cosine: 0, relativeL2: Math.SQRT2 });
    const d = tensorDiff(Float32Array.of(1, 2), Float32Array.of(2, 4));
    expect(d.cosine).toBeCloseTo(1, 12);
    expect(d.relativeL2).toBeCloseTo(1, 12); // ‖(−1, −2)‖ / ‖(1, 2)‖
    expect(tensorDiff(Float32Array.of(3, 4), Float32Array.of(-3, -4)).cosine).toBeCloseTo(-1, 12);
    expect(tensorDiff(new Float32Array(2), new Float32Array(2))).toEqual({ cosine: 1, relativeL2: 0 });
  });

  it('a recipe\'s parameters for the grid, and the grid of merges over the two that vary', () => {
    expect(recipeParams('method: slerp\nparameters: {t: 0.3}\nmodels: [{path: a.pt}, {path: b.pt}]\noutput: {path: o.safetensors}\n'))
      .toEqual({ method: 'slerp', 'parameters.t': '0.3', alpha: '0.5' });
    expect(recipeParams('method: weighted\nmodels: [{path: a.pt, weight: 3}, {path: b.pt, weight: 1}]\noutput: {path: o.safetensors}\n'))
      .toEqual({ method: 'weighted', weights: '3, 1', alpha: '0.25' });
    const row = (id: string, params: Record<string, string>, accuracy: number) => ({ id, kind: 'merge' as const, label: id, accuracy, loss: 0, n: 1, perClass: [], confusion: [], agreement: [], notes: [], merge: { parents: [], params } });
    const g = gridOf([row('m0', { method: 'weighted', alpha: '0.25' }, 0.9), row('m1', { method: 'weighted', alpha: '0.5' }, 0.8), row('m2', { method: 'slerp', alpha: '0.5' }, 0.7)]);
    expect(g).toMatchObject({ x: 'alpha', y: 'method', cells: [{ row: 0, x: '0.25', y: 'weighted' }, { row: 1, x: '0.5', y: 'weighted' }, { row: 2, x: '0.5', y: 'slerp' }] });
    expect(gridOf([row('m0', { method: 'mean' }, 0.9)])).toBeUndefined();
  });
});

describe('a comparison of checkpoints and their average', () => {
  const ws = tempDir('cmp-ws');
  let ckpts: string[];
  let avg: string;
  let r: CompareResult;

  beforeAll(async () => {
    const run = await trainMlp(7, { epochs: 3, keepFrom: 1, outDir: path.join(ws, 'runs', '20260101-000000-train-mlp') });
    ckpts = run.checkpoints;
    avg = path.join(ws, 'avg.safetensors');
    await runMerge({ method: 'mean', models: ckpts.map((p) => ({ path: p })), output: { path: avg } }, silentContext(), { workspace: ws });
    r = await runComparison({ models: [...ckpts, avg].map((p) => ({ path: p })), dataset: 'mnist:test', curve: { a: 0, b: 2, steps: 3 }, diff: { a: 0, b: 3 } }, silentContext(), { workspace: ws });
  }, 300_000);

  it('scores every model as evaluateModel does, the merge found as a merge of the three', async () => {
    const test = await loadDataset('mnist:test');
    expect(r.rows.map((x) => x.kind)).toEqual(['model', 'model', 'model', 'merge', 'ensemble']);
    for (const [i, p] of [...ckpts, avg].entries()) {
      const ref = await evaluateModel(netModel(await loadNet(p, { arch: 'mlp' })), test);
      expect(r.rows[i].accuracy).toBe(ref.accuracy);
      expect(r.rows[i].loss).toBeCloseTo(ref.loss, 6);
      expect(r.rows[i].perClass[3]).toBe(ref.per_class[3].accuracy);
    }
    expect(r.rows[3].notes.join(' ')).toMatch(/runs as mlp, the architecture of the models it was merged from/);
    expect(r.parents).toEqual([0, 1, 2]);
    expect(r.rows[4].members).toEqual([0, 1, 2]);
    expect(r.rows[3].merge!.parents.map((p) => p.path)).toEqual(ckpts);
    expect(r.rows[3].merge!.recipeYaml).toMatch(/method: mean/);
  });

  it('agreement with each parent, best per column, seed 002\'s chart by epoch', () => {
    for (let p = 0; p < 3; p++) expect(r.rows[p].agreement[p]).toBe(1);
    expect(r.rows[0].agreement[1]).toBeLessThan(1);
    const accs = r.rows.map((x) => x.accuracy);
    expect(accs[r.best.accuracy]).toBe(Math.max(...accs));
    expect(r.rows[r.best.loss].loss).toBe(Math.min(...r.rows.map((x) => x.loss)));
    expect(r.checkpoints).toMatchObject({ merge: 3, xTitle: 'epoch', points: [{ x: 1 }, { x: 2 }, { x: 3 }] });
    expect(r.checkpoints!.mean).toBeCloseTo((accs[0] + accs[1] + accs[2]) / 3, 12);
  });

  it('the naive and weight-matched curves run from one checkpoint to the other; weight diffs are those of the files', async () => {
    const c = r.curves!.series[0];
    expect(c.name).toBe('naive');
    expect(c.alphas).toEqual([0, 0.5, 1]);
    expect(c.accuracy[0]).toBe(r.rows[0].accuracy);
    expect(c.accuracy[2]).toBe(r.rows[2].accuracy);
    // the weight-matched curve beside it: B permuted onto A computes B's function, so the ends are the models'
    const wm = r.curves!.series.find((s) => s.kind === 'weight')!;
    expect(r.curves!.errors).toEqual([]);
    expect(wm.name).toBe('weight-matched');
    expect(wm.accuracy[0]).toBe(r.rows[0].accuracy);
    expect(wm.accuracy[2]).toBeCloseTo(r.rows[2].accuracy, 6);
    expect(wm.loss[2]).toBeCloseTo(c.loss[2], 4);
    const [a, m] = [await loadNet(ckpts[0]), await loadNet(avg, { arch: 'mlp' })];
    const w = r.diff!.tensors.find((t) => t.name === 'layers.0.weight')!;
    const ref = tensorDiff(a.state.get('layers.0.weight')!.data as Float32Array, m.state.get('layers.0.weight')!.data as Float32Array);
    expect(w.cosine).toBeCloseTo(ref.cosine, 10);
    expect(w.relativeL2).toBeCloseTo(ref.relativeL2, 10);
    expect(w.cosine).toBeGreaterThan(0.9);
    expect(w.cosine).toBeLessThan(1);
  });

  it('is a run folder with the inputs\' hashes, eval.json and a report with charts as SVG', () => {
    for (const i of r.inputs) expect(i.sha256).toBe(sha(i.path));
    expect(r.rows[3].sha256).toBe(sha(avg));
    const run = JSON.parse(readFileSync(path.join(r.runDir!, 'run.json'), 'utf8'));
    expect(run).toMatchObject({ kind: 'eval', status: 'succeeded' });
    expect(JSON.parse(readFileSync(path.join(r.runDir!, 'eval.json'), 'utf8')).rows).toHaveLength(5);
    const html = readFileSync(r.report!, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: nothing to fetch or run
    for (const chart of ['checkpoints', 'curves', 'diff', 'confusion']) expect(html).toContain(`data-chart="${chart}"`);
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).toContain('mean of checkpoints');
    expect(html).toContain(sha(ckpts[0]));
    expect(html).toContain('method: mean');
    expect(html).toContain(`${(100 * r.rows[3].accuracy).toFixed(2)} %`);
  });

  it('the table as CSV', () => {
    const lines = compareCsv(r).trimEnd().split('\r\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^model,kind,path,sha256,accuracy,loss,n,accuracy class 0,/);
    // checkpoints of one name from different runs must read apart: each is named by its training run's label
    const trainLabel = JSON.parse(readFileSync(path.join(ws, 'runs', '20260101-000000-train-mlp', 'run.json'), 'utf8')).label as string;
    expect(lines[0].split(',')).toContain(`agreement with ${trainLabel} · ${path.parse(ckpts[2]).name}`);
    expect(r.rows[3].label).toMatch(/^merge · mean of epoch-001.* · avg$/); // the merge run's label, shortened, and its file
    // the merge's name holds commas: its cell is quoted
    expect(lines[4].startsWith(`"${r.rows[3].label}",`)).toBe(true);
    expect(lines[4].replace(/^"(?:[^"]|"")*"/, 'label').split(',')[4]).toBe(String(r.rows[3].accuracy));
  });

  it('appears in the history, newest first', async () => {
    const runs = await listRuns(ws);
    expect(runs.map((x) => x.kind)).toEqual(['eval', 'merge', 'train']);
    expect((await listRuns(ws, 'mean avg')).map((x) => x.kind)).toEqual(['merge']);
  });
});

describe('bad input', () => {
  it('a dataset whose classes do not match the model\'s outputs', async () => {
    const run = await trainMlp(3, { hidden: [8] });
    await expect(runComparison({ models: [{ path: run.model }], dataset: 'mnist:test?task=subset:0-4:remap' }))
      .rejects.toThrow(/model\.onnx has 10 outputs but mnist:test\?task=subset:0-4:remap has 5 classes/);
  }, 120_000);

  it('a model that cannot run: weights without an architecture or a graph', async () => {
    const run = await trainMlp(4, { hidden: [8] });
    const bare = path.join(tempDir('bare'), 'bare.safetensors');
    const net = await loadNet(run.checkpoints[0]);
    await writeStateDict(bare, net.graph.tensors, net.state); // weights only, no architecture recorded
    await expect(runComparison({ models: [{ path: bare }], dataset: 'mnist:test' })).rejects.toThrow(/bare\.safetensors: holds weights only .* cannot run — pick its architecture/);
    const ok = await runComparison({ models: [{ path: bare, arch: 'mlp' }], dataset: 'mnist:test' });
    expect(ok.rows[0].accuracy).toBeGreaterThan(0);
  }, 120_000);

  it('an empty history', async () => {
    expect(await listRuns(tempDir('empty'))).toEqual([]);
    expect(await listRuns(path.join(tempDir('none'), 'missing'))).toEqual([]);
  });
});
