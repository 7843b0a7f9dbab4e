// The CLI on a ~1 KB .pt whose four stride-0 views would expand to 1 GB (issue 21, item 5): convert and merge
// refuse it with exit code 2 and the override named, before anything is written; a file whose stride-0 view
// is small converts (exit 0). No output carries the bytes of a file outside the test's folder.
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { f32Bytes, orderedDictPickle, pushTensor, ptFile } from '../unit/formats/hostile-pytorch-files';

const ROOT = path.resolve(__dirname, '../..');
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-hostile-cli-'));
const dir = path.join(base, 'allowed');
fs.mkdirSync(dir);
const canary = randomBytes(48);
fs.mkdirSync(path.join(base, 'outside'));
fs.writeFileSync(path.join(base, 'outside', 'secret.bin'), canary);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function cli(...args: string[]) {
  const env = { ...process.env };
  delete env.MERGE_STUDIO_MAX_EXPANSION;
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A .pt of `views` tensors, each `shape` elements all viewing one stored float (stride 0). */
function stride0(name: string, views: number, shape: number[]): string {
  const w = orderedDictPickle();
  for (let v = 0; v < views; v++) {
    w.str(`b${v}`);
    pushTensor(w, { key: '0', numel: 1, shape, stride: shape.map(() => 0) }).op('s');
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, ptFile(w.finish(), [{ key: '0', data: f32Bytes([7]) }]));
  return file;
}

function expectNoOutsideBytes(): void {
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes(canary), name).toBe(false);
  }
}

describe('CLI: a tiny .pt that expands to 1 GB', () => {
  const justUnderPerView = (256 << 20) / 4 - 1;

  it('convert refuses it, exit 2, naming the limit and MERGE_STUDIO_MAX_EXPANSION; nothing is written', () => {
    const file = stride0('amplify.pt', 4, [justUnderPerView]);
    expect(fs.statSync(file).size).toBeLessThan(1024);
    const out = path.join(dir, 'amplify.safetensors');
    const r = cli('convert', file, out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/amplify\.pt: its tensors would expand to 1073741808 bytes, over the limit of 67108864 bytes/);
    expect(r.err).toMatch(/MERGE_STUDIO_MAX_EXPANSION=<ratio> \(now 200\)/);
    expect(fs.existsSync(out)).toBe(false);
    expectNoOutsideBytes();
  }, 60_000);

  it('merge refuses it too, exit 2, before writing', () => {
    const a = stride0('amp-a.pt', 4, [justUnderPerView]);
    const b = stride0('amp-b.pt', 4, [justUnderPerView]);
    const out = path.join(dir, 'merged.safetensors');
    const recipe = path.join(dir, 'amp.yaml');
    fs.writeFileSync(recipe, `method: mean\nmodels: [${a}, ${b}]\noutput: {path: ${out}}\n`);
    const r = cli('merge', recipe, '--workspace-dir', path.join(base, 'workspace'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/its tensors would expand to 1073741808 bytes/);
    expect(fs.existsSync(out)).toBe(false);
    expectNoOutsideBytes();
  }, 60_000);

  it('a small stride-0 view (4×4) converts, exit 0', () => {
    const file = stride0('small.pt', 1, [4, 4]);
    const out = path.join(dir, 'small.safetensors');
    const r = cli('convert', file, out);
    expect(r.code, r.err).toBe(0);
    const inspect = cli('inspect', out, '--stats', '--json');
    expect(inspect.code).toBe(0);
    const info = JSON.parse(inspect.out);
    expect(info.damaged).toEqual([]);
    expect(info.tensors).toEqual([expect.objectContaining({ name: 'b0', shape: [4, 4] })]);
    expect(info.stats.b0).toMatchObject({ min: 7, max: 7 });
    expectNoOutsideBytes();
  }, 60_000);
});
