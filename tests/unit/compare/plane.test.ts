// The loss plane through three real MNIST models (compare/plane.ts): the plane's coordinates against a direct
// Gram–Schmidt in float64, the grid's values against the models they stand for evaluated directly, a merge of
// the three marked where it lies, the refusals, and the chart drawn as the app draws it.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { planeSpec } from '../../../main/engine/charts/plane';
import { chartSvg } from '../../../main/engine/charts/svg';
import { lossPlane, planeBasis, planeState, projectOnto, type PlaneResult } from '../../../main/engine/compare/plane';
import { loadDataset } from '../../../main/engine/data';
import { evaluateModel } from '../../../main/engine/evaluate';
import { silentContext } from '../../../main/engine/job-context';
import { runMerge } from '../../../main/engine/merge/executor';
import { parseRecipe, resolveRecipe } from '../../../main/engine/merge/recipe';
import { loadNet, netModel, type Net } from '../../../main/engine/models/load-net';
import type { StateDict } from '../../../main/engine/models/types';
import { tempDir } from '../train/helpers';
import { trainMlp } from './helpers';

let dir: string, files: string[], nets: Net[], mean: string, line: string, plane: PlaneResult;
const SAMPLES = 500;

/** All float values of a state dict, in its order, as one float64 vector. */
const flat = (s: StateDict) => Float64Array.from([...s.values()].flatMap((t) => (t.data instanceof Float32Array ? Array.from(t.data) : [])));
const sub = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);

async function merge(name: string, models: string[]): Promise<string> {
  const out = path.join(dir, `${name}.safetensors`);
  await runMerge(await resolveRecipe(parseRecipe(`method: mean\nmodels: [${models.join(', ')}]\noutput: {path: ${out}}\n`), dir), silentContext());
  return out;
}

beforeAll(async () => {
  dir = tempDir('plane');
  const a = await trainMlp(61, { hidden: [32] });
  const b = await trainMlp(62, { hidden: [32], initFrom: a.outDir });
  const c = await trainMlp(63, { hidden: [32], initFrom: a.outDir, lr: 0.02 });
  files = [a.model, b.model, c.model];
  nets = await Promise.all(files.map((f) => loadNet(f)));
  mean = await merge('mean', files);
  line = await merge('ab', files.slice(0, 2));
  plane = await lossPlane({ models: files.map((p) => ({ path: p })) as never, marks: [{ path: mean, arch: 'mlp', label: 'mean of three' }], dataset: 'mnist:test', grid: 5, samples: SAMPLES });
}, 300_000);

describe('the plane through three models', () => {
  it('places A, B and C where Gram–Schmidt in float64 puts them, and each model is the plane\'s point there', () => {
    const [a, b, c] = nets.map((n) => flat(n.state));
    const u = sub(b, a), w = sub(c, a);
    const ab = Math.sqrt(dot(u, u)), cx = dot(w, u) / ab, cy = Math.sqrt(dot(w, w) - cx * cx);
    const [pa, pb, pc] = plane.points;
    expect(pa).toMatchObject({ role: 'A', x: 0, y: 0, offPlane: 0 });
    expect(pb.role).toBe('B');
    expect(pb.x).toBeCloseTo(ab, 4);
    expect(pc.x).toBeCloseTo(cx, 4);
    expect(pc.y).toBeCloseTo(cy, 4);
    expect(plane.lengths.ab).toBeCloseTo(ab, 4);
    const basis = planeBasis(nets[0].state, nets[1].state, nets[2].state);
    for (const [k, p] of [[1, pb], [2, pc]] as const) {
      const back = flat(planeState(basis, p.x, p.y));
      const want = flat(nets[k].state);
      const err = back.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i])), 0);
      expect(err).toBeLessThan(1e-5);
    }
  });

  it('marks the mean of the three at their centroid, on the plane, with the mean\'s own accuracy', async () => {
    const m = plane.points[3];
    expect(m).toMatchObject({ role: 'mark', label: 'mean of three' });
    const [pa, pb, pc] = plane.points;
    expect(m.x).toBeCloseTo((pa.x + pb.x + pc.x) / 3, 4);
    expect(m.y).toBeCloseTo((pa.y + pb.y + pc.y) / 3, 4);
    expect(m.offPlane).toBeLessThan(1e-3);
    const test = await loadDataset('mnist:test');
    const sample = { ...test, size: SAMPLES, inputs: test.inputs.subarray(0, SAMPLES * 784), labels: test.labels.subarray(0, SAMPLES) };
    const direct = await evaluateModel(netModel(await loadNet(mean, { arch: 'mlp' })), sample);
    expect(m.accuracy).toBe(direct.accuracy);
    // the plane's own point there is the same model, up to float rounding
    const at = await evaluateModel(netModel({ graph: nets[0].graph, state: planeState(planeBasis(nets[0].state, nets[1].state, nets[2].state), m.x, m.y) }), sample);
    expect(Math.abs(at.accuracy - direct.accuracy)).toBeLessThanOrEqual(2 / SAMPLES);
    expect(at.loss).toBeCloseTo(direct.loss, 3);
  });

  it('measures every grid point as the model at θ_A + x·û + y·v̂, over a grid spanning the models with a margin', async () => {
    expect(plane.xs).toHaveLength(5);
    expect(plane.ys).toHaveLength(5);
    const px = plane.points.map((p) => p.x), py = plane.points.map((p) => p.y);
    const span = (v: number[]) => Math.max(...v) - Math.min(...v);
    expect(plane.xs[0]).toBeCloseTo(Math.min(...px) - 0.2 * span(px), 6);
    expect(plane.ys[4]).toBeCloseTo(Math.max(...py) + 0.2 * span(py), 6);
    // two grid points recomputed from a direct Gram–Schmidt
    const [a, b, c] = nets.map((n) => flat(n.state));
    const u = sub(b, a), w = sub(c, a);
    const ab = Math.sqrt(dot(u, u)), cx = dot(w, u) / ab;
    const v = w.map((x, i) => x - (cx * u[i]) / ab), nv = Math.sqrt(dot(v, v));
    const test = await loadDataset('mnist:test');
    const sample = { ...test, size: SAMPLES, inputs: test.inputs.subarray(0, SAMPLES * 784), labels: test.labels.subarray(0, SAMPLES) };
    for (const [i, j] of [[0, 0], [3, 2]]) {
      const theta = a.map((x, k) => x + (plane.xs[i] * u[k]) / ab + (plane.ys[j] * v[k]) / nv);
      const state: StateDict = new Map();
      let o = 0;
      for (const [name, t] of nets[0].state) {
        const len = t.data.length;
        state.set(name, { shape: t.shape, data: Float32Array.from(theta.subarray(o, o + len)) });
        o += len;
      }
      const r = await evaluateModel(netModel({ graph: nets[0].graph, state }), sample);
      expect(Math.abs(plane.accuracy[j][i] - r.accuracy)).toBeLessThanOrEqual(2 / SAMPLES);
      expect(plane.loss[j][i]).toBeCloseTo(r.loss, 3);
    }
    // three fine-tunes of one model share a basin: the plane's best point is far better than its worst
    const all = plane.accuracy.flat();
    expect(Math.max(...all) - Math.min(...all)).toBeGreaterThan(0.02);
  });

  it('refuses three models on one line and a model of another layout', async () => {
    const data = 'mnist:test';
    await expect(lossPlane({ models: [{ path: files[0] }, { path: files[1] }, { path: line, arch: 'mlp' }], dataset: data, grid: 2, samples: 10 })).rejects.toThrow(/C lies on the line through A and B/);
    await expect(lossPlane({ models: [{ path: files[0] }, { path: files[0] }, { path: files[1] }], dataset: data, grid: 2, samples: 10 })).rejects.toThrow(/A and B have the same weights/);
    const other = (await trainMlp(64, { hidden: [16] })).model;
    await expect(lossPlane({ models: [{ path: files[0] }, { path: files[1] }, { path: other }], dataset: data, grid: 2, samples: 10 })).rejects.toThrow(/is not of .* layout/);
    expect(projectOnto(planeBasis(nets[0].state, nets[1].state, nets[2].state), nets[0].state)).toEqual({ x: 0, y: 0, offPlane: 0 });
  }, 120_000);

  it('draws accuracy and loss heatmaps with the models marked, as the screen and the CLI show them', async () => {
    const spec = planeSpec(plane);
    const svg = await chartSvg(spec);
    for (const text of ['accuracy (%)', 'loss (cross-entropy)', '>A<', '>B<', '>C<', '>mean of three<']) expect(svg).toContain(text);
    const cells = (spec.hconcat as { layer: { data: { values: unknown[] } }[] }[])[0].layer[0].data.values;
    expect(cells).toHaveLength(25);
  });
});
