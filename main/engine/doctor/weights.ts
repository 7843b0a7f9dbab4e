// The doctor's passes over the weights, one tensor at a time (the memory held: one tensor per model):
//   - grams: every pair's dot product per layer (θᵢ·θⱼ), from which cosines and distances of the weights
//     and of the task vectors relative to any candidate base follow without reading again;
//   - interference: relative to the base, each layer's sign conflicts after TIES's trim and its task
//     vectors' cosine.
import type { ModelSource, TensorInfo } from '../formats/types';
import { throwIfCancelled, type JobContext } from '../job-context';
import { trimToDensity } from '../merge/kernels/sparsify';
import { layerOf } from '../merge/plan';
import { isFloatDType, numElements, toFloat32 } from '../tensor/dtypes';
import type { LayerInterference } from './types';

/** BatchNorm's running statistics and counters: state, not weights trained from an init. */
const NOT_WEIGHTS = /(^|\.)(running_mean|running_var|num_batches_tracked)$/;

/** The tensors every source has, with the same shape, float: name → each source's info. */
export function commonTensors(sources: ModelSource[]): { name: string; infos: TensorInfo[] }[] {
  const maps = sources.map((s) => new Map(s.tensors.map((t) => [t.name, t])));
  const out: { name: string; infos: TensorInfo[] }[] = [];
  for (const t of sources[0].tensors) {
    if (!isFloatDType(t.dtype) || NOT_WEIGHTS.test(t.name)) continue;
    const infos = maps.map((m) => m.get(t.name));
    if (infos.every((x) => x && isFloatDType(x.dtype) && x.shape.join('×') === t.shape.join('×'))) out.push({ name: t.name, infos: infos as TensorInfo[] });
  }
  return out;
}

/** Symmetric m×m matrix of sums (float64), as a flat array. */
export class Gram {
  readonly v: Float64Array;
  constructor(readonly m: number) { this.v = new Float64Array(m * m); }
  at(i: number, j: number): number { return this.v[i * this.m + j]; }
  add(values: Float32Array[]): void {
    const { m } = this;
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        const a = values[i], b = values[j];
        let s = 0;
        for (let k = 0; k < a.length; k++) s += a[k] * b[k];
        this.v[i * m + j] += s;
        if (i !== j) this.v[j * m + i] += s;
      }
    }
  }
  plus(o: Gram): void { for (let i = 0; i < this.v.length; i++) this.v[i] += o.v[i]; }
  /** Cosine of i and j. */
  cosine(i: number, j: number): number {
    const d = Math.sqrt(this.at(i, i) * this.at(j, j));
    return d > 0 ? this.at(i, j) / d : 0;
  }
  /** ‖i − j‖² */
  distance2(i: number, j: number): number { return Math.max(0, this.at(i, i) + this.at(j, j) - 2 * this.at(i, j)); }
  /** ‖i − j‖ / rms(‖i‖, ‖j‖). */
  relativeDistance(i: number, j: number): number {
    const r = Math.sqrt((this.at(i, i) + this.at(j, j)) / 2);
    return r > 0 ? Math.sqrt(this.distance2(i, j)) / r : 0;
  }
  /** (i − c)·(j − c) */
  taskDot(i: number, j: number, c: number): number { return this.at(i, j) - this.at(i, c) - this.at(j, c) + this.at(c, c); }
  /** Cosine of the task vectors i − c and j − c. */
  taskCosine(i: number, j: number, c: number): number {
    const d = Math.sqrt(this.taskDot(i, i, c) * this.taskDot(j, j, c));
    return d > 0 ? this.taskDot(i, j, c) / d : 0;
  }
}

export interface Grams {
  /** Over the weight matrices (tensors of two or more dimensions): what lineage is judged on. */
  matrices: Gram;
  tensors: number;
}

async function readAll(infos: TensorInfo[]): Promise<Float32Array[]> {
  return Promise.all(infos.map(async (t) => toFloat32(await t.read(), t.dtype)));
}

/** One pass: the Gram matrix of the sources' weight matrices. */
export async function weightGrams(sources: ModelSource[], ctx: JobContext): Promise<Grams> {
  const common = commonTensors(sources).filter((c) => c.infos[0].shape.length >= 2);
  const matrices = new Gram(sources.length);
  const total = common.reduce((a, c) => a + numElements(c.infos[0].shape), 0) || 1;
  let done = 0;
  for (const c of common) {
    throwIfCancelled(ctx);
    matrices.add(await readAll(c.infos));
    done += numElements(c.infos[0].shape);
    ctx.progress({ done, total, message: `lineage: ${c.name}`, unit: 'values' });
  }
  return { matrices, tensors: common.length };
}

/**
 * Per layer, relative to `base` (an index into sources): TIES's sign conflicts among the trimmed task
 * vectors of `members` (indices), and their mean pairwise cosine.
 */
export async function layerInterference(sources: ModelSource[], base: number, members: number[], density: number, ctx: JobContext): Promise<LayerInterference[]> {
  const common = commonTensors(sources);
  const layers = new Map<string, { gram: Gram; both: number; conflicts: number; parameters: number }>();
  const total = common.reduce((a, c) => a + numElements(c.infos[0].shape), 0) || 1;
  let done = 0;
  for (const c of common) {
    throwIfCancelled(ctx);
    const values = await readAll([c.infos[base], ...members.map((i) => c.infos[i])]);
    const b = values[0];
    const deltas = values.slice(1).map((v) => { const d = new Float32Array(v.length); for (let k = 0; k < v.length; k++) d[k] = v[k] - b[k]; return d; });
    const name = layerOf(c.name);
    const layer = layers.get(name) ?? { gram: new Gram(members.length), both: 0, conflicts: 0, parameters: 0 };
    layer.gram.add(deltas);
    const trimmed = deltas.map((d) => trimToDensity(d, density));
    for (let k = 0; k < b.length; k++) {
      let pos = 0, neg = 0;
      for (const t of trimmed) { if (t[k] > 0) pos++; else if (t[k] < 0) neg++; }
      if (pos + neg >= 2) { layer.both++; if (pos && neg) layer.conflicts++; }
    }
    layer.parameters += b.length;
    layers.set(name, layer);
    done += b.length;
    ctx.progress({ done, total, message: `interference: ${c.name}`, unit: 'values' });
  }
  return [...layers].map(([name, l]) => {
    let sum = 0, pairs = 0;
    for (let i = 0; i < members.length; i++) for (let j = i + 1; j < members.length; j++) { sum += l.gram.cosine(i, j); pairs++; }
    return { name, sign_conflict: l.both ? l.conflicts / l.both : 0, cosine: pairs ? sum / pairs : 0, parameters: l.parameters };
  });
}
