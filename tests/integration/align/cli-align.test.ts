// `merge-studio align` and `merge-studio curve` from the command line, on two small MLPs from different seeds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainPairOfSeeds } from './helpers';

const ROOT = path.resolve(__dirname, '../../..');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let files: string[];
beforeAll(async () => {
  files = await trainPairOfSeeds('cli', { arch: 'mlp', hidden: [128, 128], epochs: 1, batchSize: 128, optimizer: 'adam', lr: 1e-3, threads: 2 });
}, 600_000);

describe('align and curve on the command line', () => {
  it('curve --json prints accuracy and loss per alignment and the barriers', () => {
    const r = cli('curve', files[0], files[1], '--dataset', 'mnist:test', '--steps', '3', '--align', 'none,weight', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { alphas: number[]; curves: Record<string, { accuracy: number[]; loss: number[] }>; barriers: Record<string, number> };
    expect(j.alphas).toEqual([0, 0.5, 1]);
    expect(Object.keys(j.curves)).toEqual(['none', 'weight']);
    expect(j.curves.weight.accuracy[1]).toBeGreaterThan(j.curves.none.accuracy[1]);
    expect(j.barriers.weight).toBeLessThan(j.barriers.none);
  }, 300_000);

  it('align writes the aligned model and alignment.json; bad input is one clear line', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ms-cli-align-'));
    const r = cli('align', files[0], files[1], '--method', 'weight', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/P_layers\.0 .* units moved/);
    expect(existsSync(path.join(out, 'epoch-001.aligned.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'alignment.json'), 'utf8')).models[0].groups).toHaveLength(2);
    // the same folder again: its files are not replaced unasked, and nothing is computed first
    const again = cli('align', files[0], files[1], '--method', 'weight', '--out', out);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/epoch-001\.aligned\.safetensors, .*alignment\.json exist; nothing was replaced: .*--overwrite/);
    const bad = cli('align', files[0], path.join(ROOT, 'tests/fixtures/align/vgg_a.safetensors'), '--out', mkdtempSync(path.join(tmpdir(), 'ms-cli-align-bad-')));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/merge-studio align: .*vgg_a\.safetensors: is not the same architecture as the reference/);
    const noData = cli('align', files[0], files[1], '--method', 'activation', '--out', out);
    expect(noData.err).toMatch(/--method activation needs --dataset/);
  }, 300_000);
});
