// `--quiet` and onnxruntime's own warnings: a VGG's training graph makes onnxruntime drop an unused initializer,
// which it reports as a "[W:onnxruntime" line unless the engine turns its log level down (runtime/ort-log.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'main/cli.ts');
let dir: string;

function train(extraEnv: Record<string, string>, ...extra: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, MERGE_STUDIO_ORT_LOG: undefined, ...extraEnv };
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'train', '--arch', 'vgg', '--width', '4', '--hidden', '8',
    '--dataset', 'mnist:val', '--epochs', '1', '--workspace-dir', path.join(dir, 'ws'), ...extra], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-quiet-')); });
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

describe('merge-studio train --quiet', () => {
  it('prints nothing on stderr: no progress, no onnxruntime warnings', () => {
    const r = train({}, '--quiet');
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('[W:onnxruntime');
    expect(r.err.trim()).toBe('');
    expect(r.out).toMatch(/epoch/i);
  }, 120_000);

  it('shows onnxruntime warnings again when MERGE_STUDIO_ORT_LOG asks (so the run above had some to hide)', () => {
    const r = train({ MERGE_STUDIO_ORT_LOG: 'warning' }, '--quiet');
    expect(r.code).toBe(0);
    expect(r.err).toContain('[W:onnxruntime');
  }, 120_000);

  it('still prints an error', () => {
    const r = train({}, '--quiet', '--epochs', 'zero');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^merge-studio train: .*epochs/m);
  }, 120_000);
});
