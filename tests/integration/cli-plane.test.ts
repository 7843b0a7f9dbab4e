// `merge-studio plane`: its --help example runs as written from the repository root (three SmallCNNs and their
// mean, which lies on their plane at the centroid), --json carries the grid, the points and the chart, and bad
// arguments are refused with exit code 2.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
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
    const svg = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ms-plane-')), 'plane.svg');
    const r = cli(...example, '--json', '--svg', svg);
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
  }, 300_000);

  it('refuses two models, a grid out of range, and a model of another architecture', () => {
    const fix = (f: string) => `tests/fixtures/${f}`;
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'))).toMatchObject({ code: 2 });
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx')).err).toMatch(/give exactly three models/);
    expect(cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'), fix('merge/cnn_2.onnx'), '--grid', '50').err).toMatch(/--grid must be from 2 to 41/);
    const r = cli('plane', fix('merge/cnn_0.onnx'), fix('merge/cnn_1.onnx'), fix('data-aware/mlp_a.safetensors'), '--samples', '10', '--grid', '2', '--dataset', 'mnist:test');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/mlp_a\.safetensors/);
  }, 300_000);
});
