// Real files made by PyTorch (scripts/fixtures/make_merge_fixtures.py): our mean of three SmallCNN
// state dicts equals PyTorch's own mean, in f32, f16 and bf16; per-layer rules; tied weights stay tied.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
import { METADATA_KEYS, runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { toFloat32, type DType } from '../../../main/engine/tensor/dtypes';
import { tempDir } from '../../unit/merge/model-files';

const FIX = path.resolve(__dirname, '../../fixtures/merge');
const io = { openModel, writerFor };

async function load(file: string) {
  const source = await openModel(file);
  const tensors = new Map<string, { dtype: DType; shape: number[]; values: Float32Array }>();
  for (const t of source.tensors) tensors.set(t.name, { dtype: t.dtype, shape: t.shape, values: toFloat32(await t.read(), t.dtype) });
  await source.close();
  return { source, tensors };
}

async function mergeTo(yaml: string): Promise<string> {
  const out = tempDir('pt');
  const recipe = await resolveRecipe(parseRecipe(yaml), FIX);
  const target = path.join(out, path.basename(recipe.output.path));
  await runMerge({ ...recipe, output: { ...recipe.output, path: target } }, silentContext(), { io });
  return target;
}

/**
 * Difference in units in the last place of `dtype` at magnitude `mag` (0 = bit-identical). PyTorch sums in
 * f32 and we in f64, so where the inputs cancel, the results differ by rounding at the inputs' scale:
 * `mag` is the tensor's largest magnitude, as in an allclose with a relative tolerance of one ulp.
 */
function ulps(a: number, b: number, dtype: DType, mag = Math.max(Math.abs(a), Math.abs(b))): number {
  const mant = dtype === 'f16' ? 10 : dtype === 'bf16' ? 7 : 23;
  const scale = 2 ** (Math.floor(Math.log2(Math.max(mag, 2 ** -14))) - mant);
  return Math.abs(a - b) / scale;
}

function maxAbs(v: Float32Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

function expectSameAs(got: Awaited<ReturnType<typeof load>>, want: Awaited<ReturnType<typeof load>>, maxUlps: number): void {
  expect([...got.tensors.keys()].sort()).toEqual([...want.tensors.keys()].sort());
  for (const [name, w] of want.tensors) {
    const g = got.tensors.get(name)!;
    expect(g.dtype, name).toBe(w.dtype);
    expect(g.shape, name).toEqual(w.shape);
    let worst = 0;
    const mag = maxAbs(w.values);
    for (let i = 0; i < w.values.length; i++) worst = Math.max(worst, ulps(g.values[i], w.values[i], w.dtype, w.dtype === 'f32' ? mag : undefined));
    expect(worst, `${name}: worst difference in ulps`).toBeLessThanOrEqual(maxUlps);
  }
}

describe('merging PyTorch checkpoints', () => {
  it('the mean of three SmallCNN state dicts equals PyTorch\'s mean, written as .pt and as .safetensors', async () => {
    const want = await load(path.join(FIX, 'mean_torch.pt'));
    for (const ext of ['pt', 'safetensors']) {
      const out = await mergeTo(`method: mean\nmodels: [cnn_0.pt, cnn_1.pt, cnn_2.pt]\noutput: {path: mean.${ext}}\n`);
      const got = await load(out);
      expectSameAs(got, want, 1);
      expect(got.tensors.get('features.1.num_batches_tracked')!.values[0]).toBe(100); // from the first model, not averaged
      expect(JSON.parse(got.source.metadata[METADATA_KEYS.parents]).map((p: { name: string }) => p.name)).toEqual(['cnn_0.pt', 'cnn_1.pt', 'cnn_2.pt']);
    }
  });

  it('f16 and bf16 inputs give PyTorch\'s f16 and bf16 means', async () => {
    for (const dt of ['f16', 'bf16'] as const) {
      const out = await mergeTo(`method: mean\nmodels: [cnn_0_${dt}.pt, cnn_1_${dt}.pt, cnn_2_${dt}.pt]\noutput: {path: mean_${dt}.pt}\n`);
      expectSameAs(await load(out), await load(path.join(FIX, `mean_torch_${dt}.pt`)), 1);
    }
  });

  it('bf16 inputs to an f32 output: the mean of the widened values', async () => {
    const out = await mergeTo('method: mean\nmodels: [cnn_0_bf16.pt, cnn_1_bf16.pt, cnn_2_bf16.pt]\noutput: {path: wide.safetensors, dtype: f32}\n');
    const got = await load(out);
    const ins = await Promise.all([0, 1, 2].map((i) => load(path.join(FIX, `cnn_${i}_bf16.pt`))));
    const w = got.tensors.get('classifier.1.weight')!;
    expect(w.dtype).toBe('f32');
    for (let i = 0; i < w.values.length; i += 97) {
      expect(w.values[i]).toBeCloseTo((ins[0].tensors.get('classifier.1.weight')!.values[i] + ins[1].tensors.get('classifier.1.weight')!.values[i] + ins[2].tensors.get('classifier.1.weight')!.values[i]) / 3, 6);
    }
  });

  it('per-layer rules: average the features, keep the head of model 1', async () => {
    const out = await mergeTo('method: mean\nmodels: [cnn_0.pt, cnn_1.pt, cnn_2.pt]\nlayers:\n  - {match: "classifier.*", from: 1}\noutput: {path: rules.pt}\n');
    const got = await load(out);
    const mean = await load(path.join(FIX, 'mean_torch.pt'));
    const one = await load(path.join(FIX, 'cnn_1.pt'));
    for (const [name, t] of got.tensors) {
      const ref = name.startsWith('classifier.') ? one.tensors.get(name)! : mean.tensors.get(name)!;
      const mag = maxAbs(ref.values);
      for (let i = 0; i < t.values.length; i++) expect(ulps(t.values[i], ref.values[i], 'f32', mag), name).toBeLessThanOrEqual(name.startsWith('classifier.') ? 0 : 1);
    }
  });

  it('tied weights (one storage in PyTorch) are merged once and stay tied in the .pt output', async () => {
    const [a, b] = await Promise.all([load(path.join(FIX, 'tied_0.pt')), load(path.join(FIX, 'tied_1.pt'))]);
    expect(a.source.tied.map((g) => [...g].sort())).toEqual([['embed.weight', 'head.weight']]);
    const out = await mergeTo('method: mean\nmodels: [tied_0.pt, tied_1.pt]\noutput: {path: tied.pt}\n');
    const got = await load(out);
    expect(got.source.tied.map((g) => [...g].sort())).toEqual([['embed.weight', 'head.weight']]);
    const e = got.tensors.get('embed.weight')!.values;
    for (let i = 0; i < e.length; i++) expect(e[i]).toBeCloseTo((a.tensors.get('embed.weight')!.values[i] + b.tensors.get('embed.weight')!.values[i]) / 2, 6);
    expect(Array.from(got.tensors.get('head.weight')!.values)).toEqual(Array.from(e));
  });
});
