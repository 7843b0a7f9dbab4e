// `merge-studio plane`: its --help example runs as written from the repository root (three SmallCNNs and their
// mean, which lies on their plane at the centroid), --json carries the grid, the points and the chart, the plane
// is recorded as a run (label, inputs by SHA-256, plane.json and the SVG as outputs, listed by `runs --json`), and
// bad arguments — an --svg file that exists among them — are refused with exit code 2.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const sha256 = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('CLI: plane', () => {
  it('runs its help example, and prints the plane as JSON with the mean marked at the centroid', () => {
    const help = cli('plane', '--help');
    expect(help.code).toBe(0);
    const example = /^ {2}npx merge-studio (.*)$/m.exec(help.out)![1].split(/\s+/);
    const text = cli(...example);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^mark mean_onnx_ref\.onnx: accuracy \d+\.\d %, loss \d\.\d{4} at \(/m);
    expect(example.join(' ')).toMatch(/--workspace-dir out\/examples\/workspace$/);
    expect(text.out).toMatch(new RegExp(`^run recorded in ${path.join(ROOT, 'out/examples/workspace/runs')}/\\d{8}-\\d{6}-plane-cnn-0`, 'm'));
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-plane-'));
    const svg = path.join(scratch, 'plane.svg');
    const workspace = path.join(scratch, 'workspace');
    // the last --workspace-dir wins: this run goes to a workspace of its own
    const r = cli(...example, '--json', '--svg', svg, '--workspace-dir', workspace);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.xs).toHaveLength(5);
    expect(j.accuracy.map((row: number[]) => row.length)).toEqual([5, 5, 5, 5, 5]);
    expect(j.n).toBe(200);
    const [a, b, c, m] = j.points;
    expect([a.role, b.role, c.role, m.role]).toEqual(['A', 'B', 'C', 'mark']);
    expect(m.x).toBeCloseTo((a.x + b.x + c.x) / 3, 3);
    expect(m.y).toBeCloseTo((a.y + b.y + c.y) / 3, 3);
    expect(j.chart.hconcat).toHaveLength(2);
    expect(fs.readFileSync(svg, 'utf8')).toContain('loss (cross-entropy)');

    const runs = cli('runs', '--json', '--workspace-dir', workspace);
    expect(runs.code, runs.err).toBe(0);
    const listed = JSON.parse(runs.out);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ kind: 'plane', label: 'plane · cnn_0, cnn_1, cnn_2 on mnist:test', status: 'succeeded', dir: j.runDir });
    expect(listed[0].outputs).toEqual([path.join(j.runDir, 'plane.json'), svg]);
    const record = JSON.parse(fs.readFileSync(path.join(j.runDir, 'run.json'), 'utf8'));
    const files = ['cnn_0.onnx', 'cnn_1.onnx', 'cnn_2.onnx', 'mean_onnx_ref.onnx'].map((f) => `tests/fixtures/merge/${f}`);
    expect(record.inputs).toEqual(files.map((f) => ({ path: path.join(ROOT, f), sha256: sha256(path.join(ROOT, f)) })));
    expect(record).toMatchObject({ n: 200, grid: 5 });
    const saved = JSON.parse(fs.readFileSync(path.join(j.runDir, 'plane.json'), 'utf8'));
    expect(saved.accuracy).toEqual(j.accuracy);
    expect(saved.points.map((p: { label: string }) => p.label)).toEqual(j.points.map((p: { label: string }) => p.label));
    expect(JSON.parse(fs.readFileSync(path.join(j.runDir, 'recipe.yaml'), 'utf8'))).toMatchObject({ dataset: 'mnist:test', grid: 5, samples: 200, svg });
  }, 300_000);

  it('refuses two models, a grid out of range, and a model of another architecture', () => {
    const fix = (f: string) => `tests/fixtures/${f}`;
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'))).toMatchObject({ code: 2 });
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx')).err).toMatch(/give exactly three models/);
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'), fix('merge/cnn_2.onnx'), '--grid', '50').err).toMatch(/--grid must be from 2 to 41/);
    // an --svg file that exists is not replaced unasked, and nothing runs: no run is recorded
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-plane-'));
    const svg = path.join(scratch, 'mine.svg');
    fs.writeFileSync(svg, 'keep me');
    const refused = cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'), fix('merge/cnn_2.onnx'), '--svg', svg, '--workspace-dir', path.join(scratch, 'ws'));
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/mine\.svg exists; nothing was replaced: .*--overwrite/);
    expect(fs.readFileSync(svg, 'utf8')).toBe('keep me');
    expect(fs.existsSync(path.join(scratch, 'ws', 'runs'))).toBe(false);
    // a plane that cannot be measured is a failed run, with its error
    const workspace = path.join(scratch, 'failing');
    const r = cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'), fix('data-aware/mlp_a.safetensors'), '--samples', '10', '--grid', '2', '--dataset', 'mnist:test', '--workspace-dir', workspace);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/mlp_a\.safetensors/);
    const listed = JSON.parse(cli('runs', '--json', '--workspace-dir', workspace).out);
    expect(listed).toMatchObject([{ kind: 'plane', label: 'plane · cnn_0, cnn_1, mlp_a on mnist:test', status: 'failed', error: expect.stringMatching(/mlp_a\.safetensors/) }]);
  }, 300_000);
});
