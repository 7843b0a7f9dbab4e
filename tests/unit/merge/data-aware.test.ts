// Fisher merging and RegMean against the PyTorch reference of the same formulas on the same samples
// (scripts/fixtures/make_data_aware_fixtures.py): the statistics our onnxruntime graphs measure (diagonal Fisher,
// exact and empirical, in evaluation mode through BatchNorm, max-pool and dropout; Gram matrices of linear
// inputs and of convolution patches), the merge kernels on them, and whole recipes run by the executor.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../../main/engine/data/types';
import { openModel, writerFor } from '../../../main/engine/formats/registry';
import { silentContext } from '../../../main/engine/job-context';
import { fisherDiagonal } from '../../../main/engine/merge/data-aware/fisher';
import { inputGrams } from '../../../main/engine/merge/data-aware/gram';
import { runMerge } from '../../../main/engine/merge/executor';
import { fisher, fisherKernel } from '../../../main/engine/merge/methods/fisher';
import { regmean, regmeanKernel } from '../../../main/engine/merge/methods/regmean';
import type { TensorStatistics } from '../../../main/engine/merge/methods/types';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { loadNet, type Net } from '../../../main/engine/models/load-net';
import { toFloat32 } from '../../../main/engine/tensor/dtypes';
import { tempDir } from './model-files';

const DIR = path.resolve(__dirname, '../../fixtures/data-aware');
const ALIGN = path.resolve(__dirname, '../../fixtures/align');
const N = 40;

async function readAll(file: string): Promise<Map<string, Float32Array | BigInt64Array>> {
  const src = await openModel(file);
  try {
    const out = new Map<string, Float32Array | BigInt64Array>();
    for (const t of src.tensors) {
      const bytes = new Uint8Array(await t.read());
      out.set(t.name, t.dtype === 'i64' ? new BigInt64Array(bytes.slice().buffer) : toFloat32(bytes, t.dtype));
    }
    return out;
  } finally {
    await src.close();
  }
}

let ref: Map<string, Float32Array | BigInt64Array>;
let data: Dataset[];
let mlps: Net[];
let vggs: Net[];
const R = (key: string) => {
  const v = ref.get(key);
  if (!(v instanceof Float32Array)) throw new Error(`no reference tensor ${key}`);
  return v;
};

/** Largest |a − b| over the largest |b|: agreement relative to the tensor's scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0, scale = 0;
  for (let i = 0; i < b.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return scale === 0 ? err : err / scale;
}

beforeAll(async () => {
  ref = await readAll(path.join(DIR, 'reference.safetensors'));
  const inputs = await readAll(path.join(DIR, 'inputs.safetensors'));
  data = ['a', 'b'].map((k) => ({
    id: `fixture:${k}`, inputShape: [1, 8, 8], numClasses: 10, classNames: Array.from({ length: 10 }, (_, i) => String(i)), size: N,
    inputs: inputs.get(`x${k}`) as Float32Array, labels: Int32Array.from(inputs.get(`y${k}`) as BigInt64Array, Number),
  }));
  mlps = await Promise.all(['a', 'b'].map((k) => loadNet(path.join(DIR, `mlp_${k}.safetensors`))));
  vggs = await Promise.all(['a', 'b'].map((k) => loadNet(path.join(ALIGN, `vgg_${k}.safetensors`))));
});

const flat = (d: Dataset): Dataset => ({ ...d, inputShape: [64] });
const params = (net: Net) => net.graph.tensors.filter((t) => t.role === 'param').map((t) => t.name);
const models = (nets: Net[], name: string) => nets.map((n) => n.state.get(name)!.data as Float32Array);

describe('the statistics, measured with our graphs, against PyTorch', () => {
  it('diagonal Fisher of the MLPs, exact (expectation over their own prediction) and empirical (labels)', async () => {
    for (const [i, k] of ['a', 'b'].entries()) {
      const exact = await fisherDiagonal(mlps[i].graph, mlps[i].state, flat(data[i]));
      const empirical = await fisherDiagonal(mlps[i].graph, mlps[i].state, flat(data[i]), { estimate: 'empirical' });
      expect([...exact.keys()].sort()).toEqual(params(mlps[i]).sort());
      for (const name of params(mlps[i])) {
        expect(relErr(exact.get(name)!, R(`mlp/fisher_exact/${k}/${name}`))).toBeLessThan(2e-4);
        expect(relErr(empirical.get(name)!, R(`mlp/fisher_empirical/${k}/${name}`))).toBeLessThan(2e-4);
      }
      // the two estimates differ (a model that fits its labels has a smaller empirical Fisher)
      expect(relErr(exact.get('layers.0.weight')!, empirical.get('layers.0.weight')!)).toBeGreaterThan(0.01);
    }
  });

  it('diagonal Fisher of the VGGs in evaluation mode (BatchNorm running statistics, max-pool, no dropout)', async () => {
    for (const [i, k] of ['a', 'b'].entries()) {
      const f = await fisherDiagonal(vggs[i].graph, vggs[i].state, data[i]);
      for (const name of params(vggs[i])) expect(relErr(f.get(name)!, R(`vgg/fisher_exact/${k}/${name}`))).toBeLessThan(2e-4);
    }
  });

  it('Gram matrices of the linear inputs, and of the convolutions\' input patches', async () => {
    for (const [i, k] of ['a', 'b'].entries()) {
      const g = await inputGrams(mlps[i].graph, mlps[i].state, flat(data[i]), { batchSize: 16 });
      expect([...g.keys()]).toEqual(['layers.0.weight', 'layers.2.weight']);
      for (const [name, x] of g) {
        expect(x).toMatchObject({ layout: 'out-in', rows: N });
        expect(relErr(x.matrix, R(`mlp/gram/${k}/${name}`))).toBeLessThan(1e-5);
      }
      const linearOnly = await inputGrams(vggs[i].graph, vggs[i].state, data[i]);
      expect([...linearOnly.keys()]).toEqual(['classifier.0.weight', 'classifier.3.weight', 'classifier.6.weight']);
      const withConv = await inputGrams(vggs[i].graph, vggs[i].state, data[i], { conv: true });
      expect(withConv.get('block_1.0.weight')).toMatchObject({ dim: 9, rows: N * 64 });
      expect(withConv.get('block_2.0.weight')).toMatchObject({ dim: 54, rows: N * 16 });
      for (const [name, x] of withConv) expect(relErr(x.matrix, R(`vgg/gram_conv/${k}/${name}`))).toBeLessThan(1e-5);
    }
  });
});

function fisherStats(prefix: string, names: string[], norms = false): Map<string, TensorStatistics> {
  const all = ['a', 'b'].map((k) => names.map((n) => R(`${prefix}/${k}/${n}`)));
  const fisherNorms = all.map((fs) => Math.sqrt(fs.reduce((s, f) => s + f.reduce((t, x) => t + x * x, 0), 0)));
  return new Map(names.map((n, j) => [n, { fisher: all.map((fs) => fs[j]), ...(norms ? { fisherNorms } : {}) }]));
}

function gramStats(prefix: string, nets: Net[], names: string[]): Map<string, TensorStatistics> {
  return new Map(names.map((n) => {
    const matrices = ['a', 'b'].map((k) => Float64Array.from(R(`${prefix}/${k}/${n}`)));
    return [n, { gram: { matrices, dim: Math.round(Math.sqrt(matrices[0].length)), layout: 'out-in' as const } }];
  }));
}

describe('the merges on those statistics, against PyTorch', () => {
  it('fisher: the paper\'s weighted average with the authors\' floor on the first model; and weights, floor on all, normalised Fishers', () => {
    const names = params(mlps[0]);
    const stats = fisherStats('mlp/fisher_exact', names);
    const statsEmp = fisherStats('mlp/fisher_empirical', names, true);
    for (const t of mlps[0].graph.tensors) {
      const def = fisherKernel({ models: models(mlps, t.name), weights: [1, 1], params: fisher.params.parse({}), statistics: stats.get(t.name), seed: 0, name: t.name });
      expect(relErr(def, R(`mlp/merged/fisher/${t.name}`))).toBeLessThan(1e-5);
      const opts = fisherKernel({ models: models(mlps, t.name), weights: [1, 3], params: fisher.params.parse({ floor: 1e-4, favor_first: false, normalize: true }), statistics: statsEmp.get(t.name), seed: 0, name: t.name });
      expect(relErr(opts, R(`mlp/merged/fisher_options/${t.name}`))).toBeLessThan(1e-5);
    }
    // a parameter is pulled towards the model with more information on it, not to the midpoint
    const plain = models(mlps, 'layers.2.weight').reduce((a, b) => a.map((x, i) => (x + b[i]) / 2));
    expect(relErr(R('mlp/merged/fisher/layers.2.weight'), plain)).toBeGreaterThan(0.05);
  });

  it('regmean: the closed form per linear layer (α = 1 and α = 0.5 with weights), the rest averaged; convolutions on their patches', () => {
    const names = ['layers.0.weight', 'layers.2.weight'];
    const stats = gramStats('mlp/gram', mlps, names);
    for (const t of mlps[0].graph.tensors) {
      const notes: string[] = [];
      const def = regmeanKernel({ models: models(mlps, t.name), weights: [1, 1], params: regmean.params.parse({}), statistics: stats.get(t.name), seed: 0, name: t.name, note: (m) => notes.push(m) });
      expect(relErr(def, R(`mlp/merged/regmean/${t.name}`))).toBeLessThan(1e-6);
      const opts = regmeanKernel({ models: models(mlps, t.name), weights: [1, 3], params: regmean.params.parse({ alpha: 0.5 }), statistics: stats.get(t.name), seed: 0, name: t.name });
      expect(relErr(opts, R(`mlp/merged/regmean_options/${t.name}`))).toBeLessThan(1e-6);
      // the 8×8 digits' corner pixels are zero in every sample: those input columns keep the mean
      if (t.name === 'layers.0.weight') expect(notes[0]).toMatch(/input features are zero on every sample/);
    }
    const vstats = gramStats('vgg/gram_conv', vggs, ['block_1.0.weight', 'block_1.3.weight', 'block_2.0.weight', 'block_2.3.weight', 'classifier.0.weight', 'classifier.3.weight', 'classifier.6.weight']);
    for (const t of vggs[0].graph.tensors) {
      if (t.dtype !== 'f32') continue;
      const out = regmeanKernel({ models: models(vggs, t.name), weights: [1, 1], params: regmean.params.parse({ conv: true }), statistics: vstats.get(t.name), seed: 0, name: t.name });
      expect(relErr(out, R(`vgg/merged/regmean_conv/${t.name}`))).toBeLessThan(1e-5);
    }
  });
});

describe('data-aware recipes run by the executor', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('data-aware');
    for (const [i, k] of ['a', 'b'].entries()) {
      const d = data[i];
      const rows = ['label,' + Array.from({ length: 64 }, (_, j) => `p${j}`).join(',')];
      for (let r = 0; r < N; r++) rows.push([d.labels[r], ...Array.from(d.inputs.subarray(r * 64, (r + 1) * 64))].join(','));
      writeFileSync(path.join(dir, `${k}.csv`), `${rows.join('\n')}\n`);
    }
  });
  const run = async (yaml: string) => {
    const logs: string[] = [];
    const resolved = await resolveRecipe(parseRecipe(yaml), dir);
    await runMerge(resolved, { ...silentContext(), log: (m) => logs.push(m) }, { io: { openModel, writerFor } });
    return { out: await readAll(resolved.output.path), logs };
  };
  // dataset specs name files as the loader reads them (from the working folder), so absolute here
  const csv = (k: string) => `csv:${path.join(dir, `${k}.csv`)}?label=label`;
  const models = `models: [${path.join(DIR, 'mlp_a.safetensors')}, ${path.join(DIR, 'mlp_b.safetensors')}]`;

  it('fisher measures each model on its own dataset and writes the reference merge', async () => {
    const { out, logs } = await run(`method: fisher\n${models}\ndata: {dataset: [${csv('a')}, ${csv('b')}], samples: ${N}}\noutput: {path: fisher.safetensors}\n`);
    for (const name of mlps[0].graph.tensors.map((t) => t.name)) expect(relErr(out.get(name) as Float32Array, R(`mlp/merged/fisher/${name}`))).toBeLessThan(2e-3);
    expect(logs.join('\n')).toMatch(/Fisher information \(exact\) of model 1 \(mlp_a\.safetensors\) on 40 examples of csv:\S*a\.csv/);
  });

  it('regmean with weights and alpha writes the reference merge', async () => {
    const ms = models.replace('models: [', '').replace(']', '').split(', ');
    const { out } = await run(`method: regmean\nmodels:\n  - {path: ${ms[0]}, weight: 1}\n  - {path: ${ms[1]}, weight: 3}\ndata: {dataset: [${csv('a')}, ${csv('b')}]}\nparameters: {alpha: 0.5}\noutput: {path: regmean.safetensors}\n`);
    for (const name of mlps[0].graph.tensors.map((t) => t.name)) expect(relErr(out.get(name) as Float32Array, R(`mlp/merged/regmean_options/${name}`))).toBeLessThan(1e-4);
  });
});

describe('the recipe\'s data block', () => {
  const refused = (yaml: string) => { try { parseRecipe(yaml, 'r.yaml'); } catch (e) { return (e as Error).message; } throw new Error('expected a refusal'); };
  const two = 'models: [a.safetensors, b.safetensors]\noutput: {path: m.safetensors}\n';

  it('is required by fisher and regmean, refused by the other methods, and checked against the models', () => {
    expect(refused(`method: fisher\n${two}`)).toMatch(/r\.yaml line 1: data: Fisher merging measures each model on a data sample: add a data block/);
    expect(refused(`method: mean\n${two}data: {dataset: mnist:train}\n`)).toMatch(/line 4: data: Mean does not use data/);
    expect(refused(`method: regmean\n${two}data: {dataset: [mnist:train]}\n`)).toMatch(/data\.dataset: lists 1 datasets for 2 models/);
    expect(refused(`method: regmean\n${two}data: {dataset: mnist:train, samples: 0}\n`)).toMatch(/data\.samples/);
    expect(refused(`method: regmean\n${two}data: {dataset: mnist:train, arch: mlp, graph: g.onnx}\n`)).toMatch(/give either arch or graph/);
    expect(refused(`method: regmean\n${two}data: {dataset: mnist:train, sample: 10}\n`)).toMatch(/unknown key "sample"/);
    // what is measured is chosen once for the whole model
    expect(refused(`method: fisher\n${two}data: {dataset: mnist:train}\nlayers:\n  - {match: 'layers.0.*', parameters: {estimate: empirical}}\n`)).toMatch(/layers\[0\]\.parameters\.estimate: estimate chooses what is measured/);
    expect(refused(`method: fisher\n${two}data: {dataset: mnist:train}\nparameters: {estimate: sampled}\n`)).toMatch(/parameters\.estimate/);
    const ok = parseRecipe(`method: fisher\n${two}data: {dataset: [mnist:train?task=subset:0-4, mnist:train?task=subset:5-9], samples: 500}\nlayers:\n  - {match: 'layers.0.*', parameters: {floor: 0.001}}\n`);
    expect(ok.data).toEqual({ dataset: ['mnist:train?task=subset:0-4', 'mnist:train?task=subset:5-9'], samples: 500 });
  });
});
