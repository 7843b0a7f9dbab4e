// Weight matching, as Git Re-Basin defines it (Ainsworth et al. 2022, Algorithm 1, and its weight_matching.py):
// permutations of model B's hidden units that maximise Σ ⟨W_A, π(W_B)⟩ over every weight, found by coordinate
// descent — start from the identity; each round visits the groups in a random order and, for each, solves the
// linear assignment problem on S = Σ_axes W_A · π₋(W_B)ᵀ (every other permutation applied, this axis left out),
// keeping the optimum; stop after a round where no group improved by more than 1e-12, or after `maxIter` rounds
// (100). The one deliberate difference: the random order comes from our seeded RNG, not JAX's (`seed`).
import { silentContext, throwIfCancelled, type JobContext } from '../job-context';
import { Rng } from '../models/rng';
import type { StateDict } from '../models/types';
import { axesByTensor, identityPermutations, permutedTensor, unitsMoved, type Permutations } from './apply';
import { assignmentValue, LapSession } from './lap';
import { Products } from './products';
import type { AxisRef, PermGroup, PermutationSpec } from './spec';

export interface WeightMatchingOptions {
  maxIter?: number;
  /** Seed of the random group order per round (default 0). */
  seed?: number;
  /** The group order of round `iteration` (replaces the seeded shuffle; the reference fixture feeds its own). */
  order?: (iteration: number, names: string[]) => string[];
  threads?: number;
}

export interface GroupSummary {
  name: string;
  size: number;
  /** Units whose position changed. */
  moved: number;
  /** Σ ⟨W_A, W_B⟩ over the group's axes before, and with every permutation applied after (higher = closer). */
  similarityBefore: number;
  similarityAfter: number;
}

export interface MatchResult {
  perms: Permutations;
  iterations: number;
  groups: GroupSummary[];
  /** ‖θ_A − θ_B‖² over the permuted tensors, before and after. */
  distance: { before: number; after: number };
  /** Per round, the objective gain of each group's step (what the reference prints). */
  trace: { iteration: number; group: string; gain: number }[];
}

/** Entries per unit of `axis` (n units). */
function unitWidth(shape: number[], axis: number, n: number): number {
  return shape.reduce((a, b) => a * b, 1) / n;
}

/** Rows of `data` grouped by the units of one axis (n rows, each every entry of one unit, in a fixed order),
 *  written into columns [offset, offset + width) of `out`, an n-row matrix `stride` wide. */
function writeUnitRows(data: Float32Array, shape: number[], axis: number, block: number, n: number, out: Float32Array, stride: number, offset: number): void {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const run = block * inner;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < n; c++) {
      const from = (o * n + c) * run, to = c * stride + offset + o * run;
      if (run < 32) for (let k = 0; k < run; k++) out[to + k] = data[from + k];
      else out.set(data.subarray(from, from + run), to);
    }
  }
}

/** One group's unit rows over all its axes: an n × Σwidth matrix, written into `out` when given. */
function groupRows(g: PermGroup, shapeOf: (ax: AxisRef) => number[], tensorOf: (ax: AxisRef) => { data: Float32Array; shape: number[] }, out?: Float32Array): { m: Float32Array; width: number } {
  const widths = g.axes.map((ax) => unitWidth(shapeOf(ax), ax.axis, g.size));
  const width = widths.reduce((a, b) => a + b, 0);
  const m = out ?? new Float32Array(g.size * width);
  let off = 0;
  g.axes.forEach((ax, k) => {
    const t = tensorOf(ax);
    writeUnitRows(t.data, t.shape, ax.axis, ax.block, g.size, m, width, off);
    off += widths[k];
  });
  return { m, width };
}

function floatOf(state: StateDict, name: string, which: string): { data: Float32Array; shape: number[] } {
  const t = state.get(name);
  if (!t || t.data instanceof BigInt64Array) throw new Error(`model ${which} has no float tensor "${name}"`);
  return { data: t.data, shape: t.shape };
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; }
  return s;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Finds the permutations of B's units (by `spec`) that best match A's weights. */
export async function weightMatching(spec: PermutationSpec, a: StateDict, b: StateDict, o: WeightMatchingOptions = {}, ctx: JobContext = silentContext()): Promise<MatchResult> {
  const maxIter = o.maxIter ?? 100;
  const rng = new Rng(o.seed ?? 0);
  const perms = identityPermutations(spec);
  const byTensor = axesByTensor(spec);
  const names = spec.groups.map((g) => g.name);
  const groupOf = new Map(spec.groups.map((g) => [g.name, g]));
  // A's side of every group never changes: its unit rows are built once.
  const fixedA = new Map<string, Float32Array>();
  for (const g of spec.groups) {
    fixedA.set(g.name, groupRows(g, (ax) => floatOf(a, ax.tensor, 'A').shape, (ax) => floatOf(a, ax.tensor, 'A')).m);
  }
  // B's side is rebuilt every step, into buffers kept for the whole run: fresh large arrays each step cost more
  // (the memory is zeroed and faulted in again) than the copying itself.
  const rowsOfB = new Map<string, Float32Array>();
  const scratch = new Map<string, [Float32Array, Float32Array]>();
  const permutedB = (ax: AxisRef, g: PermGroup): { data: Float32Array; shape: number[] } => {
    const t = floatOf(b, ax.tensor, 'B');
    let pair = scratch.get(ax.tensor);
    if (!pair) { pair = [new Float32Array(t.data.length), new Float32Array(t.data.length)]; scratch.set(ax.tensor, pair); }
    return { data: permutedTensor(t.data, t.shape, byTensor.get(ax.tensor)!, perms, { group: g.name, axis: ax.axis }, pair), shape: t.shape };
  };
  const bRows = (g: PermGroup): { m: Float32Array; width: number } => {
    const r = groupRows(g, (ax) => floatOf(b, ax.tensor, 'B').shape, (ax) => permutedB(ax, g), rowsOfB.get(g.name));
    rowsOfB.set(g.name, r.m);
    return r;
  };

  // One solver session per group: each round's problem starts from the group's last solution (lap.ts).
  const sessions = new Map(spec.groups.map((g) => [g.name, new LapSession(g.size)]));
  const products = await Products.create(o.threads);
  const trace: MatchResult['trace'] = [];
  let iterations = 0;
  try {
    for (let it = 0; it < maxIter; it++) {
      iterations = it + 1;
      let progress = false;
      const order = o.order ? o.order(it, names) : Array.from(rng.permutation(names.length), (k) => names[k]);
      for (const name of order) {
        throwIfCancelled(ctx);
        const g = groupOf.get(name);
        if (!g) throw new Error(`weight matching: the order names an unknown group "${name}"`);
        const { m: rowsB, width } = bRows(g);
        const s = await products.xyT(fixedA.get(name)!, rowsB, g.size, g.size, width);
        const { col } = sessions.get(name)!.solve(s);
        const oldL = assignmentValue(s, g.size, perms[name]);
        const newL = assignmentValue(s, g.size, col);
        trace.push({ iteration: it, group: name, gain: newL - oldL });
        if (newL > oldL + 1e-12) { progress = true; perms[name] = col; }
      }
      // Converged: the rounds left are not needed, so the count ends full rather than at "3/100".
      ctx.progress(progress
        ? { done: it + 1, total: maxIter, unit: 'iterations', message: `weight matching: round ${it + 1}` }
        : { done: maxIter, total: maxIter, unit: 'iterations', message: `weight matching: converged after ${it + 1} round${it ? 's' : ''}` });
      if (!progress) break;
    }
  } finally {
    await products.release();
  }
  return { perms, iterations, trace, ...summarize(spec, a, b, perms) };
}

/** Per-group similarity and the overall distance before and after the permutations. */
export function summarize(spec: PermutationSpec, a: StateDict, b: StateDict, perms: Permutations): Pick<MatchResult, 'groups' | 'distance'> {
  const byTensor = axesByTensor(spec);
  const permutedB = new Map<string, Float32Array>();
  const pb = (name: string) => {
    let v = permutedB.get(name);
    if (!v) { const t = floatOf(b, name, 'B'); v = permutedTensor(t.data, t.shape, byTensor.get(name)!, perms); permutedB.set(name, v); }
    return v;
  };
  const groups = spec.groups.map((g) => {
    let before = 0, after = 0;
    for (const ax of g.axes) {
      const ta = floatOf(a, ax.tensor, 'A').data;
      before += dot(ta, floatOf(b, ax.tensor, 'B').data);
      after += dot(ta, pb(ax.tensor));
    }
    return { name: g.name, size: g.size, moved: unitsMoved(perms[g.name]), similarityBefore: before, similarityAfter: after };
  });
  let before = 0, after = 0;
  for (const name of byTensor.keys()) {
    const ta = floatOf(a, name, 'A').data, tb = floatOf(b, name, 'B').data, tp = pb(name);
    before += squaredDistance(ta, tb);
    after += squaredDistance(ta, tp);
  }
  return { groups, distance: { before, after } };
}
