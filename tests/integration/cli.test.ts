import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openModel } from '../../main/engine/formats/registry';
import { toFloat32 } from '../../main/engine/tensor/dtypes';

const ROOT = path.resolve(__dirname, '../..');
const FIX = path.join(ROOT, 'tests/fixtures');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'main/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('merge-studio CLI', () => {
  it('prints its version and help', () => {
    expect(cli('--version')).toMatchObject({ code: 0, out: `${pkg.version}\n` });
    const help = cli('--help');
    expect(help.code).toBe(0);
    for (const c of ['serve', 'inspect', 'convert', 'eval']) expect(help.out).toContain(c);
  });

  it('rejects an unknown command and unknown options with exit code 2', () => {
    expect(cli('explode').code).toBe(2);
    const r = cli('inspect', '--frobnicate', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/frobnicate/);
  });

  it('inspect --json prints format, tensors, tied groups and metadata as PyTorch saved them', () => {
    const r = cli('inspect', path.join(FIX, 'pytorch/smallcnn.pt'), '--json');
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out);
    expect(Object.keys(info)).toEqual(['format', 'tensors', 'tied', 'metadata', 'damaged']);
    expect(info.damaged).toEqual([]);
    expect(info.format).toBe('pytorch');
    const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'pytorch/expected.json'), 'utf8'))['smallcnn.pt'].tensors;
    expect(info.tensors).toEqual(expected.map((t: { name: string; dtype: string; shape: number[] }) => ({ name: t.name, dtype: t.dtype, shape: t.shape })));
    const tied = JSON.parse(cli('inspect', path.join(FIX, 'pytorch/tied.pt'), '--json').out).tied;
    expect(tied.length).toBeGreaterThan(0);
  });

  it('refuses a malicious pickle with exit code 2 and one line naming the global, running nothing', () => {
    const canary = path.join(os.tmpdir(), 'merge_studio_canary');
    const before = fs.existsSync(canary);
    const r = cli('inspect', path.join(FIX, 'pytorch/malicious/os_system.pt'), '--json');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/posix\.system|os\.system/);
    // --json: the refusal as JSON on stdout, with the same reason; nothing else
    expect(JSON.parse(r.out)).toEqual({ ok: false, exitCode: 2, error: r.err.trim().replace(/^merge-studio inspect: /, '') });
    if (!before) expect(fs.existsSync(canary)).toBe(false);
  });

  it('refuses a truncated file with exit code 2 and says which file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-'));
    const bad = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(bad, fs.readFileSync(path.join(FIX, 'formats/tiny_cnn_b.safetensors')).subarray(0, 200));
    const r = cli('inspect', bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain('cut.safetensors');
  });

  it('converts .pt → safetensors (bf16) → .pt, keeping names and shapes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-'));
    const st = path.join(dir, 'model.safetensors');
    expect(cli('convert', path.join(FIX, 'pytorch/smallcnn.pt'), st, '--dtype', 'bf16').code).toBe(0);
    const a = JSON.parse(cli('inspect', st, '--json').out);
    expect(a.format).toBe('safetensors');
    expect(new Set(a.tensors.map((t: { dtype: string }) => t.dtype))).toEqual(new Set(['bf16']));
    const pt = path.join(dir, 'back.pt');
    expect(cli('convert', st, pt).code).toBe(0);
    const b = JSON.parse(cli('inspect', pt, '--json').out);
    expect(b.tensors.map((t: { name: string; shape: number[] }) => [t.name, t.shape])).toEqual(a.tensors.map((t: { name: string; shape: number[] }) => [t.name, t.shape]));
    const bad = cli('convert', st, st);
    expect(bad.code).toBe(2);
    const dtype = cli('convert', st, path.join(dir, 'x.safetensors'), '--dtype', 'f8');
    expect(dtype.code).toBe(2);
    expect(dtype.err).toMatch(/--dtype/);
  });

  const built = fs.existsSync(path.join(ROOT, 'out/main/cli.js'));
  it.skipIf(!built)('the package bin runs the built CLI', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/merge-studio.cjs'), '--version'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('merge-studio merge', () => {
  it('runs a recipe headless: the mean of three PyTorch checkpoints equals PyTorch\'s own mean, with provenance', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-merge-'));
    const out = path.join(dir, 'mean.safetensors');
    const recipe = path.join(dir, 'mean.yaml');
    fs.writeFileSync(recipe, [
      'method: mean',
      'models:',
      ...[0, 1, 2].map((i) => `  - ${path.join(FIX, `merge/cnn_${i}.pt`)}`),
      `output: {path: ${out}, dtype: f32}`,
    ].join('\n'));
    const r = cli('merge', recipe, '--json', '--workspace-dir', dir);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result.output.path).toBe(out);
    expect(result.parents).toHaveLength(3);
    // every value against PyTorch's own mean of the same three files
    const ours = await openModel(out);
    const torch = await openModel(path.join(FIX, 'merge/mean_torch.pt'));
    expect(ours.tensors.map((t) => t.name).sort()).toEqual(torch.tensors.map((t) => t.name).sort());
    for (const t of torch.tensors) {
      const o = ours.tensors.find((x) => x.name === t.name)!;
      const want = toFloat32(await t.read(), t.dtype);
      const got = toFloat32(await o.read(), o.dtype);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
    }
    await ours.close();
    await torch.close();
    const meta = JSON.parse(cli('inspect', out, '--json').out).metadata;
    expect(meta['merge_studio.recipe']).toContain('method: mean');
    expect(fs.readdirSync(path.join(dir, 'runs')).length).toBe(1);
  });

  it('refuses an output that is one of its inputs, with the reason in the one-line message and in --json', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-merge-'));
    for (const i of [0, 1]) fs.copyFileSync(path.join(FIX, `merge/cnn_${i}.pt`), path.join(dir, `cnn_${i}.pt`));
    const before = fs.readFileSync(path.join(dir, 'cnn_0.pt'));
    const recipe = path.join(dir, 'same.yaml');
    fs.writeFileSync(recipe, 'method: mean\nmodels: [cnn_0.pt, cnn_1.pt]\noutput: {path: cnn_0.pt}\n');
    const text = cli('merge', recipe, '--workspace-dir', dir);
    expect(text.code).toBe(2);
    expect(text.err.trim().split('\n')).toHaveLength(1);
    expect(text.err).toMatch(/^merge-studio merge: the merge cannot run: the output path \S*cnn_0\.pt is one of the inputs; inputs are never overwritten/);
    const json = cli('merge', recipe, '--json', '--workspace-dir', dir);
    expect(json.code).toBe(2);
    const out = JSON.parse(json.out);
    expect(out).toMatchObject({ ok: false, exitCode: 2, error: expect.stringMatching(/the merge cannot run: the output path \S*cnn_0\.pt is one of the inputs/) });
    expect(out.blocking).toEqual([expect.stringMatching(/is one of the inputs/)]);
    expect(fs.readFileSync(path.join(dir, 'cnn_0.pt')).equals(before)).toBe(true);
  });

  it('refuses a recipe with an unknown key, naming the key and its line, exit code 2', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-merge-'));
    const recipe = path.join(dir, 'bad.yaml');
    fs.writeFileSync(recipe, `method: mean\nmodels:\n  - {path: a.pt, wieght: 2}\n  - b.pt\noutput: {path: out.safetensors}\n`);
    const r = cli('merge', recipe);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 3/);
    expect(r.err).toMatch(/wieght/);
    expect(fs.existsSync(path.join(dir, 'out.safetensors'))).toBe(false);
  });
});

describe('merge-studio mergekit', () => {
  it('imports a mergekit config into a recipe that merges to mergekit\'s tensors, and exports it back', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-mk-'));
    const recipe = path.join(dir, 'ties.yaml');
    const out = path.join(dir, 'ties.safetensors');
    const imp = cli('mergekit', 'import', path.join(FIX, 'merge/mergekit/ties.yml'), '-o', recipe, '--merged', out);
    expect(imp.code).toBe(0);
    expect(imp.err).toMatch(/not carried: parameters\.int8_mask/);
    expect(cli('mergekit', 'import', path.join(FIX, 'merge/mergekit/ties.yml'), '-o', recipe).code).toBe(2); // no overwrite without --force
    expect(cli('merge', recipe, '--workspace-dir', dir).code).toBe(0);
    const [ours, ref] = await Promise.all([openModel(out), openModel(path.join(FIX, 'merge/mergekit/ties_ref.pt'))]);
    for (const t of ref.tensors) {
      const a = toFloat32(await t.read(), t.dtype);
      const b = toFloat32(await ours.tensors.find((x) => x.name === t.name)!.read(), 'f32');
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-6);
    }
    await Promise.all([ours.close(), ref.close()]);
    const exp = cli('mergekit', 'export', recipe, '--json');
    expect(exp.code).toBe(0);
    const { yaml, notCarried } = JSON.parse(exp.out) as { yaml: string; notCarried: string[] };
    expect(yaml).toContain('merge_method: ties');
    expect(yaml).toContain(path.join(FIX, 'merge/mergekit/llama_base.pt'));
    expect(notCarried.some((n) => n.startsWith('output path'))).toBe(true);
    const bad = cli('mergekit', 'import', path.join(FIX, 'merge/cnn_0.pt'));
    expect(bad.code).toBe(2);
  });

  it('a frankenmerge of model folders: imported, merged into a sharded model folder with its config; modules: refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-cli-mkf-'));
    const recipe = path.join(dir, 'franken.yaml');
    const out = path.join(dir, 'franken');
    const imp = cli('mergekit', 'import', path.join(FIX, 'merge/mergekit/folders/passthrough.yml'), '-o', recipe, '--merged', out, '--shard-size', '20k');
    expect(imp.code).toBe(0);
    expect(imp.err).not.toMatch(/not carried/);
    expect(cli('merge', recipe, '--workspace-dir', dir).code).toBe(0);
    const names = fs.readdirSync(out).sort();
    expect(names).toEqual(expect.arrayContaining(['README.md', 'config.json', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']));
    expect(names.filter((n) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(n)).length).toBeGreaterThan(1);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).num_hidden_layers).toBe(5);
    const modules = path.join(dir, 'modules.yml');
    fs.writeFileSync(modules, 'merge_method: linear\nmodules:\n  text:\n    models: [{model: a, parameters: {weight: 1}}]\n');
    const refused = cli('mergekit', 'import', modules);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/modules: .*not read here/);
  });
});
