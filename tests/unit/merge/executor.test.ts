// The streaming executor on real safetensors files written by the app's writer: results against a
// reference, dtypes, per-layer rules, tied weights, provenance, the run folder, and every way it must
// refuse or stop cleanly with nothing half-written.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import type { FormatWriter } from '../../../main/engine/formats/types';
import { CancelledError, silentContext, type JobContext, type ProgressUpdate } from '../../../main/engine/job-context';
import { METADATA_KEYS, MergeBlockedError, runMerge, type RunMergeOptions } from '../../../main/engine/merge/executor';
import { linearCombination } from '../../../main/engine/merge/kernels/linear';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { runPreflight } from '../../../main/engine/merge/preflight';
import { f32ToBf16Bits, f32ToF16Bits, toFloat32 } from '../../../main/engine/tensor/dtypes';
import { readModel, smallNet, values, writeModel, type TensorData, tempDir } from './model-files';

const io = { openModel, writerFor };
/** The same files through a writer that wants its metadata at begin() (as ONNX does): the parents are hashed first. */
const metadataFirst = { openModel, writerFor: (p: string): FormatWriter => ({ ...writerFor(p), lateMetadata: false }) };
let dir: string;

beforeAll(async () => {
  dir = tempDir('merge');
  for (const s of [1, 2, 3]) await writeModel(path.join(dir, `m${s}.safetensors`), smallNet(s));
  await writeModel(path.join(dir, 'base.safetensors'), smallNet(9));
  for (const s of [1, 2]) await writeModel(path.join(dir, `h${s}.safetensors`), smallNet(s, 'f16'));
  await writeModel(path.join(dir, 'b1.safetensors'), smallNet(4, 'bf16'));
  await writeModel(path.join(dir, 'wide.safetensors'), smallNet(5, 'f32', 100));
  await writeModel(path.join(dir, 'short.safetensors'), smallNet(6).filter((t) => t.name !== 'features.3.bias'));
});

async function merge(yaml: string, ctx: JobContext = silentContext(), options: RunMergeOptions = {}) {
  const recipe = parseRecipe(yaml);
  return runMerge(await resolveRecipe(recipe, dir), ctx, { io, ...options });
}

async function blocked(yaml: string): Promise<string[]> {
  try {
    await merge(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(MergeBlockedError);
    return (e as MergeBlockedError).blocking;
  }
  throw new Error('expected the merge to be blocked');
}

function leftovers(folder: string): string[] {
  return readdirSync(folder).filter((f) => f.includes('.tmp') || f.startsWith('.'));
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const byName = (ts: TensorData[]) => new Map(ts.map((t) => [t.name, Float32Array.from(t.values)]));

describe('runMerge on real files', () => {
  it('averages three models, copies the integer counter from the first, and records provenance', async () => {
    const progress: ProgressUpdate[] = [];
    const ctx: JobContext = { ...silentContext(), progress: (p) => progress.push(p) };
    const res = await merge('method: mean\nmodels: [m1.safetensors, m2.safetensors, m3.safetensors]\noutput: {path: mean.safetensors}\n', ctx, { hashOverlapBytes: 128 << 20 });
    const out = await readModel(path.join(dir, 'mean.safetensors'));
    const refs = [1, 2, 3].map((s) => byName(smallNet(s)));
    for (const [name, got] of out.values) {
      if (name.endsWith('num_batches_tracked')) { expect(Array.from(got)).toEqual([101]); expect(out.dtypes.get(name)).toBe('i64'); continue; }
      const ref = refs[0].get(name)!.map((_, i) => (refs[0].get(name)![i] + refs[1].get(name)![i] + refs[2].get(name)![i]) / 3);
      for (let i = 0; i < ref.length; i++) expect(got[i]).toBeCloseTo(ref[i], 6);
    }
    expect([...out.values.keys()]).toEqual(smallNet(1).map((t) => t.name));
    // Provenance: the recipe and each parent's SHA-256 of the whole file.
    const parents = JSON.parse(out.source.metadata[METADATA_KEYS.parents]);
    expect(parents.map((p: { name: string }) => p.name)).toEqual(['m1.safetensors', 'm2.safetensors', 'm3.safetensors']);
    expect(parents[1].sha256).toBe(sha(path.join(dir, 'm2.safetensors')));
    expect(parseRecipe(out.source.metadata[METADATA_KEYS.recipe]).method).toBe('mean');
    expect(res.output.sha256).toBe(sha(path.join(dir, 'mean.safetensors')));
    // A writer that needs its metadata first: the parents hashed in workers, then each tensor written as it
    // comes or held while hashing; the same tensors and the same hashes either way.
    for (const [file, hashOverlapBytes] of [['direct.safetensors', 0], ['held.safetensors', 128 << 20]] as const) {
      const r = await merge(`method: mean\nmodels: [m1.safetensors, m2.safetensors, m3.safetensors]\noutput: {path: ${file}}\n`, silentContext(), { hashOverlapBytes, io: metadataFirst });
      const direct = await readModel(path.join(dir, file));
      for (const [name, v] of out.values) expect(Array.from(direct.values.get(name)!), name).toEqual(Array.from(v));
      expect(r.parents.map((p) => p.sha256)).toEqual(res.parents.map((p) => p.sha256));
      expect(r.output.sha256).toBe(sha(path.join(dir, file)));
    }
    expect(res.counts).toEqual({ merged: 8, copied: 1, excluded: 0, tiedAliases: 0 });
    // Progress over bytes, naming the tensor being merged, ending at the total.
    const last = progress[progress.length - 1];
    expect(last.unit).toBe('bytes');
    expect(last.done).toBe(last.total);
    expect(progress.some((p) => p.message === 'classifier.1.weight')).toBe(true);
  });

  it('reads f16 and bf16 inputs and writes bf16 and f16 outputs rounded as PyTorch does', async () => {
    await merge('method: mean\nmodels: [h1.safetensors, h2.safetensors, b1.safetensors]\noutput: {path: mix.safetensors, dtype: bf16}\n');
    const out = await readModel(path.join(dir, 'mix.safetensors'));
    const ins = await Promise.all(['h1', 'h2', 'b1'].map((n) => readModel(path.join(dir, `${n}.safetensors`))));
    const w = out.values.get('features.3.weight')!;
    expect(out.dtypes.get('features.3.weight')).toBe('bf16');
    const f32 = new Float32Array(1);
    for (let i = 0; i < w.length; i++) {
      f32[0] = (ins[0].values.get('features.3.weight')![i] + ins[1].values.get('features.3.weight')![i] + ins[2].values.get('features.3.weight')![i]) / 3;
      const bits = f32ToBf16Bits(f32[0]);
      expect(w[i]).toBe(toFloat32(new Uint8Array(new Uint16Array([bits]).buffer), 'bf16')[0]);
    }
    // No dtype given: the first model's (f16) is kept.
    await merge('method: mean\nmodels: [h1.safetensors, h2.safetensors]\noutput: {path: half.safetensors}\n');
    const half = await readModel(path.join(dir, 'half.safetensors'));
    expect(half.dtypes.get('classifier.1.bias')).toBe('f16');
    const b = half.values.get('classifier.1.bias')!;
    for (let i = 0; i < b.length; i++) {
      const want = f32ToF16Bits((ins[0].values.get('classifier.1.bias')![i] + ins[1].values.get('classifier.1.bias')![i]) / 2);
      expect(b[i]).toBe(toFloat32(new Uint8Array(new Uint16Array([want]).buffer), 'f16')[0]);
    }
  });

  it('applies per-layer rules: copy from a model, exclude, and a strength gradient over depth', async () => {
    await merge(`method: mean
models: [m1.safetensors, m2.safetensors]
layers:
  - {match: "classifier.1.weight", from: 1}
  - {match: "classifier.*", exclude: true}
  - {match: "features.*", parameters: {weight: [1, 0.5, 0]}}
output: {path: rules.safetensors}
`);
    const out = await readModel(path.join(dir, 'rules.safetensors'));
    const [a, b] = [byName(smallNet(1)), byName(smallNet(2))];
    expect(Array.from(out.values.get('classifier.1.weight')!)).toEqual(Array.from(b.get('classifier.1.weight')!));
    expect(out.values.has('classifier.1.bias')).toBe(false);
    // features.0 → strength 1 (the mean), features.1 → 0.5, features.3 → 0 (the first model).
    const mean = (n: string, i: number) => (a.get(n)![i] + b.get(n)![i]) / 2;
    expect(out.values.get('features.0.bias')![2]).toBeCloseTo(mean('features.0.bias', 2), 6);
    expect(out.values.get('features.1.weight')![1]).toBeCloseTo(a.get('features.1.weight')![1] + 0.5 * (mean('features.1.weight', 1) - a.get('features.1.weight')![1]), 6);
    expect(Array.from(out.values.get('features.3.weight')!)).toEqual(Array.from(a.get('features.3.weight')!));
  });

  it('merges a tied group once and keeps it tied in the output', async () => {
    const tiedNet = (s: number): TensorData[] => {
      const emb = values(12, s);
      return [
        { name: 'embed.weight', dtype: 'f32', shape: [3, 4], values: emb },
        { name: 'body.weight', dtype: 'f32', shape: [4], values: values(4, s + 50) },
        { name: 'head.weight', dtype: 'f32', shape: [3, 4], values: emb },
      ];
    };
    await writeModel(path.join(dir, 't1.safetensors'), tiedNet(1), [['embed.weight', 'head.weight']]);
    await writeModel(path.join(dir, 't2.safetensors'), tiedNet(2), [['embed.weight', 'head.weight']]);
    const res = await merge('method: weighted\nmodels: [{path: t1.safetensors, weight: 3}, {path: t2.safetensors, weight: 1}]\noutput: {path: tied.safetensors}\n');
    expect(res.counts.tiedAliases).toBe(1);
    const out = await readModel(path.join(dir, 'tied.safetensors'));
    expect(out.source.tied).toEqual([['embed.weight', 'head.weight']]);
    const e1 = values(12, 1);
    const e2 = values(12, 2);
    const emb = out.values.get('embed.weight')!;
    for (let i = 0; i < 12; i++) expect(emb[i]).toBeCloseTo((3 * e1[i] + e2[i]) / 4, 6);
    expect(Array.from(out.values.get('head.weight')!)).toEqual(Array.from(emb));
  });

  it('DARE: the same seed gives the same bytes, whatever order the tensors are stored in', async () => {
    const reversed = (s: number) => [...smallNet(s)].reverse();
    await writeModel(path.join(dir, 'r1.safetensors'), reversed(1));
    await writeModel(path.join(dir, 'r2.safetensors'), reversed(2));
    await writeModel(path.join(dir, 'rbase.safetensors'), reversed(9));
    const recipe = (models: string, base: string, out: string, seed: number) => `method: dare_ties\nmodels: [${models}]\nbase: ${base}\nparameters: {density: 0.5, seed: ${seed}}\noutput: {path: ${out}}\n`;
    await merge(recipe('m1.safetensors, m2.safetensors', 'base.safetensors', 'dare-a.safetensors', 11));
    await merge(recipe('m1.safetensors, m2.safetensors', 'base.safetensors', 'dare-b.safetensors', 11));
    await merge(recipe('r1.safetensors, r2.safetensors', 'rbase.safetensors', 'dare-r.safetensors', 11));
    await merge(recipe('m1.safetensors, m2.safetensors', 'base.safetensors', 'dare-c.safetensors', 12));
    // (The files differ only in their metadata, which names the output.)
    const [a, b, r, c] = await Promise.all(['dare-a', 'dare-b', 'dare-r', 'dare-c'].map((n) => readModel(path.join(dir, `${n}.safetensors`))));
    for (const [name, v] of a.values) {
      expect(Buffer.from(b.values.get(name)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
      expect(Buffer.from(r.values.get(name)!.buffer).equals(Buffer.from(v.buffer))).toBe(true);
    }
    expect(Buffer.from(c.values.get('features.3.weight')!.buffer).equals(Buffer.from(a.values.get('features.3.weight')!.buffer))).toBe(false);
  });

  it('big tensors merge in the worker pool with the same result as the reference', async () => {
    const big = (s: number): TensorData[] => [{ name: 'w', dtype: 'f32', shape: [600, 500], values: values(300000, s) }, { name: 'b', dtype: 'f16', shape: [600, 500], values: values(300000, s + 7) }];
    for (const s of [1, 2, 3]) await writeModel(path.join(dir, `big${s}.safetensors`), big(s));
    await merge('method: weighted\nmodels: [{path: big1.safetensors, weight: 1}, {path: big2.safetensors, weight: 2}, {path: big3.safetensors, weight: 5}]\noutput: {path: big.safetensors}\n');
    const out = await readModel(path.join(dir, 'big.safetensors'));
    const ins = await Promise.all([1, 2, 3].map((s) => readModel(path.join(dir, `big${s}.safetensors`))));
    for (const name of ['w', 'b']) {
      const got = out.values.get(name)!;
      const x = ins.map((m) => m.values.get(name)!);
      const tol = name === 'b' ? 1e-3 : 1e-6;
      for (let i = 0; i < got.length; i += 101) expect(Math.abs(got[i] - (x[0][i] + 2 * x[1][i] + 5 * x[2][i]) / 8)).toBeLessThan(tol);
    }
  });

  it('PyTorch files: parents hashed from the bytes the merge reads equal their SHA-256, in any order; the output hash is the file\'s', async () => {
    // Big tensors (the worker pool, recycled read buffers), one parent stored in reverse order (reads out of
    // file order), and a layer copied from model 0 (tensors of the others never read by the merge).
    const big = (s: number): TensorData[] => [
      { name: 'w', dtype: 'f32', shape: [600, 500], values: values(300000, s) },
      { name: 'v', dtype: 'f32', shape: [300, 1000], values: values(300000, s + 3) },
      { name: 'head', dtype: 'f32', shape: [10, 10], values: values(100, s + 5) },
    ];
    await writeModel(path.join(dir, 'p1.pt'), big(1));
    await writeModel(path.join(dir, 'p2.pt'), [...big(2)].reverse());
    await writeModel(path.join(dir, 'p3.pt'), big(3));
    const res = await merge('method: mean\nmodels: [p1.pt, p2.pt, p3.pt]\nlayers:\n  - {match: "head", from: 0}\noutput: {path: pmean.pt}\n');
    const out = await readModel(path.join(dir, 'pmean.pt'));
    const parents = JSON.parse(out.source.metadata[METADATA_KEYS.parents]);
    expect(parents.map((p: { sha256: string }) => p.sha256)).toEqual(['p1.pt', 'p2.pt', 'p3.pt'].map((f) => sha(path.join(dir, f))));
    expect(res.parents.map((p) => p.sha256)).toEqual(parents.map((p: { sha256: string }) => p.sha256));
    expect(res.output.sha256).toBe(sha(path.join(dir, 'pmean.pt')));
    const ins = [1, 2, 3].map((s) => byName(big(s)));
    for (const name of ['w', 'v']) {
      const got = out.values.get(name)!;
      for (let i = 0; i < got.length; i += 97) expect(got[i]).toBeCloseTo((ins[0].get(name)![i] + ins[1].get(name)![i] + ins[2].get(name)![i]) / 3, 6);
      // These went through the arena's SIMD kernel: the very bytes of the JS loop.
      const js = linearCombination([0, 1, 2].map((k) => ins[k].get(name)!), [1 / 3, 1 / 3, 1 / 3]);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(js.buffer))).toBe(true);
    }
    expect(Array.from(out.values.get('head')!)).toEqual(Array.from(ins[0].get('head')!));
    await out.source.close();
  });

  it('records the run folder: recipe.yaml, run.json with status and parents, log and metrics', async () => {
    const ws = tempDir('ws');
    const res = await merge('name: My first merge\nmethod: mean\nmodels: [m1.safetensors, m2.safetensors]\noutput: {path: ws-out.safetensors}\n', silentContext(), { workspace: ws });
    expect(res.runDir).toMatch(/runs[\\/]\d{8}-\d{6}-my-first-merge$/);
    const run = JSON.parse(readFileSync(path.join(res.runDir!, 'run.json'), 'utf8'));
    expect(run.status).toBe('succeeded');
    expect(run.parents[0].sha256).toBe(sha(path.join(dir, 'm1.safetensors')));
    expect(run.environment.node).toBe(process.version);
    expect(run.seconds).toBeGreaterThanOrEqual(0);
    expect(parseRecipe(readFileSync(path.join(res.runDir!, 'recipe.yaml'), 'utf8')).name).toBe('My first merge');
    expect(readFileSync(path.join(res.runDir!, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(9);
    expect(readFileSync(path.join(res.runDir!, 'log.txt'), 'utf8')).toContain('wrote ');
    expect(run.id).toBe(path.basename(res.runDir!));
    expect(run.label).toBe('merge · mean of m1, m2');
    expect(run.inputs).toEqual([1, 2].map((s) => ({ path: path.join(dir, `m${s}.safetensors`), sha256: sha(path.join(dir, `m${s}.safetensors`)), role: 'model' })));
  });

  it('without an output path writes into its own run folder, so a second run never touches the first', async () => {
    const ws = tempDir('ws-default');
    const yaml = 'method: mean\nmodels: [m1.safetensors, m2.safetensors]\n';
    const first = await merge(yaml, silentContext(), { workspace: ws });
    const second = await merge(yaml, silentContext(), { workspace: ws });
    expect(first.output.path).toBe(path.join(first.runDir!, 'merged.safetensors'));
    expect(second.output.path).toBe(path.join(second.runDir!, 'merged.safetensors'));
    expect(second.runDir).not.toBe(first.runDir);
    // the first run's record still matches its file
    expect(JSON.parse(readFileSync(path.join(first.runDir!, 'run.json'), 'utf8')).output.sha256).toBe(sha(first.output.path));
    expect(sha(first.output.path)).toBe(first.output.sha256);
    // and with no workspace there is no folder to write into: said, not guessed
    await expect(merge(yaml)).rejects.toThrow(/output\.path: missing: without a workspace/);
  });

  it('refuses an output file that exists before anything runs, and replaces it only when the recipe says overwrite', async () => {
    const ws = tempDir('ws-exists');
    await merge('method: mean\nmodels: [m1.safetensors, m2.safetensors]\noutput: {path: kept.safetensors}\n', silentContext(), { workspace: ws });
    const before = sha(path.join(dir, 'kept.safetensors'));
    const runsBefore = readdirSync(path.join(ws, 'runs')).length;
    await expect(merge('method: mean\nmodels: [m1.safetensors, m3.safetensors]\noutput: {path: kept.safetensors}\n', silentContext(), { workspace: ws }))
      .rejects.toThrow(/kept\.safetensors exists; nothing was replaced: .*output\.overwrite: true/);
    expect(sha(path.join(dir, 'kept.safetensors'))).toBe(before);
    expect(readdirSync(path.join(ws, 'runs'))).toHaveLength(runsBefore); // no run was started
    const pre = await runPreflight(parseRecipe('method: mean\nmodels: [m1.safetensors, m3.safetensors]\noutput: {path: kept.safetensors}\n'), { baseDir: dir, io });
    expect(pre.blocking).toEqual([expect.stringMatching(/kept\.safetensors exists; nothing was replaced/)]);
    const replaced = await merge('method: mean\nmodels: [m1.safetensors, m3.safetensors]\noutput: {path: kept.safetensors, overwrite: true}\n', silentContext(), { workspace: ws });
    expect(sha(path.join(dir, 'kept.safetensors'))).toBe(replaced.output.sha256);
    expect(replaced.output.sha256).not.toBe(before);
  });
});

describe('bad input is refused before anything is written', () => {
  it('says which tensor differs in shape, in which files', async () => {
    const b = await blocked('method: mean\nmodels: [m1.safetensors, wide.safetensors]\noutput: {path: x.safetensors}\n');
    expect(b).toContain('classifier.1.weight is 10×8 in m1.safetensors but 100×8 in wide.safetensors');
    expect(b).toContain('classifier.1.bias is 10 in m1.safetensors but 100 in wide.safetensors');
  });

  it('names a missing tensor and the way around it', async () => {
    const b = await blocked('method: mean\nmodels: [m1.safetensors, short.safetensors]\noutput: {path: x.safetensors}\n');
    expect(b).toEqual(['features.3.bias is missing in short.safetensors (present in m1.safetensors); exclude it or copy it with a layer rule ({match: "features.3.bias", from: 0})']);
    // …and the suggested rule does make it run.
    await merge('method: mean\nmodels: [m1.safetensors, short.safetensors]\nlayers: [{match: "features.3.bias", from: 0}]\noutput: {path: short-fixed.safetensors}\n');
  });

  it('refuses a task-vector method without a base, one model for mean, zero-sum weights, a missing file', async () => {
    expect((await blocked('method: ties\nmodels: [m1.safetensors, m2.safetensors]\noutput: {path: x.safetensors}\n'))[0]).toMatch(/TIES works on task vectors .* needs a base model: choose one in the Base model field \(in a recipe file, the key base\)/);
    expect((await blocked('method: mean\nmodels: [m1.safetensors]\noutput: {path: x.safetensors}\n'))[0]).toBe('Mean needs at least 2 models; the recipe has 1 — add another model or use it directly');
    expect((await blocked('method: weighted\nmodels: [{path: m1.safetensors, weight: 1}, {path: m2.safetensors, weight: -1}]\noutput: {path: x.safetensors}\n'))[0]).toMatch(/weights sum to 0 \(1 \+ -1\)/);
    expect((await blocked('method: mean\nmodels: [m1.safetensors, nope.safetensors]\noutput: {path: x.safetensors}\n'))[0]).toMatch(/nope\.safetensors: does not exist/);
    expect((await blocked('method: slerp\nmodels: [m1.safetensors, m2.safetensors, m3.safetensors]\noutput: {path: x.safetensors}\n'))[0]).toMatch(/at most 2 models.*multislerp/);
  });

  it('refuses to write over an input, and leaves the input untouched', async () => {
    const before = sha(path.join(dir, 'm2.safetensors'));
    const b = await blocked('method: mean\nmodels: [m1.safetensors, m2.safetensors]\noutput: {path: ./m2.safetensors}\n');
    expect(b[0]).toMatch(/is one of the inputs/);
    expect(sha(path.join(dir, 'm2.safetensors'))).toBe(before);
  });

  it('the pre-flight reports the same problems, the counts and the sizes without writing', async () => {
    const report = await runPreflight(parseRecipe('method: mean\nmodels: [m1.safetensors, wide.safetensors]\noutput: {path: pf.safetensors}\n'), { baseDir: dir, io });
    expect(report.blocking).toHaveLength(2);
    expect(report.models.map((m) => m.name)).toEqual(['m1.safetensors', 'wide.safetensors']);
    const ok = await runPreflight(parseRecipe('method: mean\nmodels: [m1.safetensors, m2.safetensors]\noutput: {path: pf.safetensors}\n'), { baseDir: dir, io });
    expect(ok.blocking).toEqual([]);
    const floats = smallNet(1).filter((t) => t.dtype === 'f32').reduce((a, t) => a + t.values.length * 4, 0);
    expect(ok.output.bytes).toBe(floats + 8);
    expect(ok.peakMemoryBytes).toBeGreaterThan(8 * 4 * 9 * 4); // at least the inputs of the largest tensor
    expect(ok.estimatedSeconds).toBeGreaterThan(0);
    expect(ok.tensors.find((t) => t.name === 'features.1.num_batches_tracked')?.action).toEqual({ kind: 'copy', from: 0, reason: 'non-float' });
    expect(structuredClone(ok)).toEqual(ok); // plain data: it crosses IPC as is
    expect(readdirSync(dir)).not.toContain('pf.safetensors');
  });
});

describe('failures while running leave nothing half-written', () => {
  it('a full disk: a clear error, no output, no temp file', async () => {
    const out = tempDir('full');
    const fullDisk: FormatWriter = {
      ...writerFor('x.safetensors'),
      async begin(p, specs, options) {
        const real = await writerFor(p).begin(p, specs, options);
        let n = 0;
        return {
          ...real,
          async writeTensor(name, data) {
            if (++n === 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            return real.writeTensor(name, data);
          },
        };
      },
    };
    const recipe = await resolveRecipe(parseRecipe(`method: mean\nmodels: [${dir}/m1.safetensors, ${dir}/m2.safetensors]\noutput: {path: full.safetensors}\n`), out);
    // Every way a write can happen: metadata at finish; or metadata first, with tensors held while hashing
    // then flushed, or written as they come.
    for (const [lateMetadata, hashOverlapBytes] of [[true, 0], [false, 128 << 20], [false, 0]] as const) {
      await expect(runMerge(recipe, silentContext(), { io: { openModel, writerFor: () => ({ ...fullDisk, lateMetadata }) }, hashOverlapBytes })).rejects.toThrow(/cannot write \S*full\.safetensors: the disk is full \(ENOSPC\): it needs \d+ kB, .* free on that disk — free some space/);
      expect(readdirSync(out)).toEqual([]);
    }
  });

  it('cancel while the parents are being hashed: a clean stop before anything is written', async () => {
    const out = tempDir('cancel');
    const recipe = await resolveRecipe(parseRecipe(`method: mean\nmodels: [${dir}/m1.safetensors, ${dir}/m2.safetensors]\noutput: {path: early.safetensors}\n`), out);
    for (const via of [io, metadataFirst]) {
      const ac = new AbortController();
      const ctx: JobContext = { ...silentContext(ac.signal), progress: (p) => { if (p.message === 'hashing parents') ac.abort(); } };
      await expect(runMerge(recipe, ctx, { io: via })).rejects.toBeInstanceOf(CancelledError);
      expect(readdirSync(out)).toEqual([]);
    }
  });

  // With the metadata given at finish, and with it needed first: tensors held while hashing, or each written
  // as it comes (the output already begun).
  for (const [label, via, hashOverlapBytes] of [['metadata at finish', io, 0], ['metadata first, hash overlap 128 MB', metadataFirst, 128 << 20], ['metadata first, no overlap', metadataFirst, 0]] as const) {
    it(`cancel mid-run: a clean stop, no output, the run folder says cancelled (${label})`, async () => {
      const out = tempDir('cancel');
      const ws = tempDir('ws');
      const ac = new AbortController();
      let seen = 0;
      const ctx: JobContext = { ...silentContext(ac.signal), progress: (p) => { if (p.message?.startsWith('features.1') && ++seen === 1) ac.abort(); } };
      const recipe = await resolveRecipe(parseRecipe(`method: mean\nmodels: [${dir}/m1.safetensors, ${dir}/m2.safetensors]\noutput: {path: cancelled.safetensors}\n`), out);
      await expect(runMerge(recipe, ctx, { io: via, workspace: ws, hashOverlapBytes })).rejects.toBeInstanceOf(CancelledError);
      expect(readdirSync(out)).toEqual([]);
      expect(leftovers(out)).toEqual([]);
      const runDir = path.join(ws, 'runs', readdirSync(path.join(ws, 'runs'))[0]);
      expect(JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8')).status).toBe('cancelled');
    });
  }
});
