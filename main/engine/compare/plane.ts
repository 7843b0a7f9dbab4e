// The loss plane through three models (Garipov et al. 2018, §5 and their plane.py; Izmailov et al. 2018): with
// u = θ_B − θ_A and v = the part of θ_C − θ_A orthogonal to u (Gram–Schmidt), û = u/‖u‖, v̂ = v/‖v‖, the point
// (x, y) of the plane is θ_A + x·û + y·v̂. Accuracy and loss are measured on an N × N grid spanning A, B, C (and
// any merges marked on it) with a margin, so a user sees the basin around them, not one line. Every float tensor
// moves (parameters and BatchNorm running statistics alike; integer counters stay A's); a marked model off the
// plane is shown at its projection, with its distance to the plane.
import { loadDataset, type Dataset } from '../data';
import { evaluateModel } from '../evaluate';
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { netModel, sameLayout, type Net } from '../models/load-net';
import type { StateDict } from '../models/types';
import { checkClasses, resolveModel, type ModelRef } from './models';
import type { PlaneRequest } from './types';

export type { PlaneRequest } from './types';
export { PlaneRequestSchema } from './types';


export interface PlanePoint {
  label: string;
  role: 'A' | 'B' | 'C' | 'mark';
  path: string;
  /** Coordinates in the plane (its projection, for a mark). */
  x: number;
  y: number;
  /** Distance from the plane: 0 for A, B and C; ‖θ − projection‖ for a mark. */
  offPlane: number;
  /** The model itself, evaluated (not its projection). */
  accuracy: number;
  loss: number;
}

export interface PlaneResult {
  dataset: string;
  n: number;
  /** Grid coordinates along û and v̂. */
  xs: number[];
  ys: number[];
  /** accuracy[j][i] and loss[j][i] at (xs[i], ys[j]). */
  accuracy: number[][];
  loss: number[][];
  points: PlanePoint[];
  /** ‖θ_B − θ_A‖, and the length of θ_C − θ_A's part orthogonal to it. */
  lengths: { ab: number; c: number };
}

/** An orthonormal basis of the plane through three state dicts, over their float tensors. */
export interface PlaneBasis {
  origin: StateDict;
  u: Map<string, Float64Array>;
  v: Map<string, Float64Array>;
  lengths: { ab: number; c: number };
  /** (x, y) of C. */
  c: { x: number; y: number };
}

const floats = (s: StateDict) => [...s].filter(([, t]) => t.data instanceof Float32Array) as [string, { shape: number[]; data: Float32Array }][];

function dot(a: Map<string, Float64Array>, b: Map<string, Float64Array>): number {
  let s = 0;
  for (const [k, x] of a) { const y = b.get(k)!; for (let i = 0; i < x.length; i++) s += x[i] * y[i]; }
  return s;
}

function diff(p: StateDict, a: StateDict): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [k, t] of floats(a)) {
    const q = p.get(k)!.data as Float32Array;
    out.set(k, Float64Array.from(t.data, (x, i) => q[i] - x));
  }
  return out;
}

/** Gram–Schmidt on θ_B − θ_A and θ_C − θ_A; throws when the three do not span a plane. */
export function planeBasis(a: StateDict, b: StateDict, c: StateDict): PlaneBasis {
  const u = diff(b, a), w = diff(c, a);
  const ab = Math.sqrt(dot(u, u));
  if (!(ab > 0)) throw new Error('A and B have the same weights: three distinct models are needed for a plane');
  for (const x of u.values()) for (let i = 0; i < x.length; i++) x[i] /= ab;
  const cx = dot(w, u);
  const wn = Math.sqrt(dot(w, w));
  for (const [k, x] of w) { const e = u.get(k)!; for (let i = 0; i < x.length; i++) x[i] -= cx * e[i]; }
  const cy = Math.sqrt(dot(w, w));
  // (float32 weights: a C on the line keeps a rounding residue of about 1e-7 of its distance from A)
  if (!(cy > 1e-4 * wn)) throw new Error('C lies on the line through A and B (as a merge of A and B does): the three models do not span a plane');
  for (const x of w.values()) for (let i = 0; i < x.length; i++) x[i] /= cy;
  return { origin: a, u, v: w, lengths: { ab, c: cy }, c: { x: cx, y: cy } };
}

/** θ_A + x·û + y·v̂ (integer buffers as A's). */
export function planeState(p: PlaneBasis, x: number, y: number): StateDict {
  const out: StateDict = new Map();
  for (const [k, t] of p.origin) {
    const e = p.u.get(k), f = p.v.get(k);
    if (!e || !f || !(t.data instanceof Float32Array)) { out.set(k, t); continue; }
    const a = t.data;
    out.set(k, { shape: t.shape, data: Float32Array.from(a, (v, i) => v + x * e[i] + y * f[i]) });
  }
  return out;
}

/** The projection of `s` onto the plane: its (x, y) and its distance from the plane. */
export function projectOnto(p: PlaneBasis, s: StateDict): { x: number; y: number; offPlane: number } {
  const d = diff(s, p.origin);
  const x = dot(d, p.u), y = dot(d, p.v);
  const rest = dot(d, d) - x * x - y * y;
  return { x, y, offPlane: Math.sqrt(Math.max(0, rest)) };
}

function axis(values: number[], margin: number, n: number): number[] {
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = margin * (hi - lo);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? hi + pad : lo - pad + ((hi - lo + 2 * pad) * i) / (n - 1)));
}

/** The first `samples` examples of `d`. */
function firstOf(d: Dataset, samples?: number): Dataset {
  if (samples === undefined || samples >= d.size) return d;
  const per = d.inputShape.reduce((a, b) => a * b, 1);
  return { ...d, id: `${d.id}[:${samples}]`, size: samples, inputs: d.inputs.subarray(0, samples * per), labels: d.labels.subarray(0, samples) };
}

export async function lossPlane(req: PlaneRequest, ctx: JobContext = silentContext()): Promise<PlaneResult> {
  const full = await loadDataset(req.dataset, ctx);
  const data = firstOf(full, req.samples);
  const n = req.grid ?? 11;
  const refs: { ref: ModelRef; role: PlanePoint['role'] }[] = [
    ...req.models.map((ref, i) => ({ ref, role: (['A', 'B', 'C'] as const)[i] })),
    ...(req.marks ?? []).map((ref) => ({ ref, role: 'mark' as const })),
  ];
  const nets: Net[] = [];
  const labels: string[] = [];
  for (const { ref } of refs) {
    const m = await resolveModel(ref, data);
    nets.push(await m.net());
    labels.push(m.label);
  }
  for (let i = 1; i < nets.length; i++) {
    const problem = sameLayout(nets[0], nets[i]);
    if (problem) throw new Error(`no plane: ${labels[i]} is not of ${labels[0]}'s layout (${problem}); give models of one architecture`);
  }
  const basis = planeBasis(nets[0].state, nets[1].state, nets[2].state);
  const graph = nets[0].graph;
  const evalOpts = { batchSize: req.batchSize, ...(req.threads ? { sessionOptions: { intraOpNumThreads: req.threads } } : {}) };
  const total = refs.length + n * n;
  let done = 0;
  const step = (message: string) => ctx.progress({ done: ++done, total, unit: 'points', message });
  const points: PlanePoint[] = [];
  for (let i = 0; i < refs.length; i++) {
    throwIfCancelled(ctx);
    const at = i === 0 ? { x: 0, y: 0, offPlane: 0 } : i === 1 ? { x: basis.lengths.ab, y: 0, offPlane: 0 } : i === 2 ? { ...basis.c, offPlane: 0 } : projectOnto(basis, nets[i].state);
    const r = await evaluateModel(netModel(nets[i]), data, evalOpts);
    checkClasses(labels[i], r.confusion.length, data);
    points.push({ label: labels[i], role: refs[i].role, path: refs[i].ref.path, ...at, accuracy: r.accuracy, loss: r.loss });
    step(`${labels[i]}: accuracy ${(100 * r.accuracy).toFixed(1)} %`);
  }
  const margin = req.margin ?? 0.2;
  const xs = axis(points.map((p) => p.x), margin, n), ys = axis(points.map((p) => p.y), margin, n);
  const accuracy: number[][] = [], loss: number[][] = [];
  for (const y of ys) {
    const accRow: number[] = [], lossRow: number[] = [];
    for (const x of xs) {
      throwIfCancelled(ctx);
      const r = await evaluateModel(netModel({ graph, state: planeState(basis, x, y) }), data, evalOpts);
      accRow.push(r.accuracy); lossRow.push(r.loss);
      step(`(${x.toFixed(2)}, ${y.toFixed(2)}): accuracy ${(100 * r.accuracy).toFixed(1)} %`);
    }
    accuracy.push(accRow); loss.push(lossRow);
  }
  return { dataset: data.id, n: data.size, xs, ys, accuracy, loss, points, lengths: basis.lengths };
}
