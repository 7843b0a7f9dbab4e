// The CLI's evaluation and comparison commands on real MNIST models: eval --ensemble, compare, soup, search and
// history — exit codes, JSON, the run folders they leave.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../main/engine/data';
import { evaluateEnsemble } from '../../main/engine/evaluate';
import { trainMlp } from '../unit/compare/helpers';

const ROOT = path.resolve(__dirname, '../..');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

let a: string, b: string, onnxA: string, onnxB: string, ws: string;

beforeAll(async () => {
  const ra = await trainMlp(31, { epochs: 2 });
  const rb = await trainMlp(32, { epochs: 2, initFrom: ra.outDir });
  [a, b, onnxA, onnxB] = [ra.checkpoints[1], rb.checkpoints[1], ra.model, rb.model];
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-cmp-'));
}, 300_000);

describe('CLI: evaluation and comparison', () => {
  it('eval --ensemble: the members and the mean of their probabilities, as the engine scores them', async () => {
    const r = cli('eval', '--ensemble', `${onnxA},${b}`, '--dataset', 'mnist:test', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    const ref = await evaluateEnsemble([onnxA, onnxB], await loadDataset('mnist:test'));
    expect(j.ensemble.accuracy).toBe(ref.ensemble.accuracy);
    expect(j.ensemble.combine).toBe('mean of probabilities');
    expect(j.members.map((m: { accuracy: number }) => m.accuracy)).toEqual(ref.members.map((m) => m.accuracy));
    expect(j.agreement[0][1]).toBe(ref.agreement[0][1]);
    const text = cli('eval', onnxA, '--ensemble', `${onnxA},${onnxB}`);
    expect(text.out).toMatch(/ensemble \(mean of probabilities\): accuracy \d+\.\d\d %/);
    expect(text.out).toMatch(/note: .*linear model/);
    expect(cli('eval', '--ensemble', onnxA).err).toMatch(/--ensemble needs two or more models/);
  }, 300_000);

  it('compare with a curve and diffs, recorded in the workspace; history lists it; an empty history says so', () => {
    const r = cli('compare', a, b, '--curve', '--steps', '3', '--diff', '--workspace-dir', ws, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rows.map((x: { kind: string }) => x.kind)).toEqual(['model', 'model', 'ensemble']);
    expect(j.curves.series[0].alphas).toEqual([0, 0.5, 1]);
    expect(j.diff.tensors.map((t: { name: string }) => t.name)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    expect(fs.existsSync(j.report)).toBe(true);
    const h = JSON.parse(cli('runs', '--workspace-dir', ws, '--json').out);
    expect(h.map((x: { kind: string }) => x.kind)).toEqual(['eval']);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-empty-'));
    expect(cli('runs', '--workspace-dir', empty)).toMatchObject({ code: 0, out: `no runs in ${empty}\n` });
    expect(cli('compare', a, '--dataset', 'mnist:test?task=subset:0-4:remap', '--workspace-dir', ws).err).toMatch(/has 10 outputs but .* has 5 classes/);
  }, 300_000);

  it('soup --greedy and search, chosen on mnist:val and reported on mnist:test', () => {
    const s = cli('soup', a, b, '--heldout', 'mnist:val', '--test', 'mnist:test', '--greedy', '--workspace-dir', ws, '--json');
    expect(s.code, s.err).toBe(0);
    const soup = JSON.parse(s.out);
    expect(soup.heldout).toBe('mnist:val');
    expect(soup.soup.test).toBeGreaterThan(0.5);
    expect(cli('soup', a, b, '--heldout', 'mnist:test', '--test', 'mnist:test').err).toMatch(/must not be the test split/);
    const recipe = path.join(ws, 'two.yaml');
    fs.writeFileSync(recipe, `method: weighted\nmodels:\n  - path: ${a}\n  - path: ${b}\noutput:\n  path: ${path.join(ws, 'best.safetensors')}\n`);
    const q = cli('search', recipe, '--vary', 'alpha=0:1', '--vary', 'method=weighted,slerp', '--budget', '6', '--heldout', 'mnist:val', '--test', 'mnist:test', '--workspace-dir', ws, '--json');
    expect(q.code, q.err).toBe(0);
    const search = JSON.parse(q.out);
    expect(search.trials).toHaveLength(6);
    // the budget is split evenly over the methods (compare/search-grid.ts), each trying 3 distinct α
    const trials = search.trials as { values: { method: string; alpha: number } }[];
    expect(trials.map((t) => t.values.method)).toEqual(['weighted', 'weighted', 'weighted', 'slerp', 'slerp', 'slerp']);
    for (const m of ['weighted', 'slerp']) expect(trials.filter((t) => t.values.method === m).map((t) => t.values.alpha)).toEqual([0, 0.5, 1]);
    expect(search.output.heldout).toBe(search.best.accuracy);
    expect(fs.existsSync(path.join(ws, 'best.safetensors'))).toBe(true);
    expect(cli('search', recipe, '--vary', 'alpha', '--heldout', 'mnist:val').err).toMatch(/write NAME=MIN:MAX/);
  }, 300_000);
});
