// Weight matching, as Git Re-Basin defines it (Ainsworth et al. 2022, Algorithm 1, and its weight_matching.py):
// permutations of model B's hidden units that maximise Σ ⟨W_A, π(W_B)⟩ over every weight, found by coordinate
// descent — start from the identity; each round visits the groups in a random order and, for each, solves the
// linear assignment problem on S = Σ_axes W_A · π₋(W_B)ᵀ (every other permutation applied, this axis left out),
// keeping the optimum; stop after a round where no group improved by more than 1e-12, or after `maxIter` rounds
// (100). The one deliberate difference: the random order comes from our seeded RNG, not JAX's (`seed`).
import { silentContext, throwIfCancelled, type JobContext } from '../jobs/context';
import { Rng } from '../models/rng';
import type { StateDict } from '../models/types';
import { axesByTensor, identityPermutations, permutedTensor, unitsMoved, type Permutations } from './apply';
import { assignmentValue, linearAssignment } from './lap';
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

/** Rows of `data` grouped by the units of one axis: n rows, each every entry of one unit (a fixed order). */
export function unitRows(data: Float32Array, shape: number[], axis: number, block: number, n: number): { rows: Float32Array; width: number } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const run = block * inner, width = outer * run;
  const rows = new Float32Array(n * width);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < n; c++) {
      const from = (o * n + c) * run, to = c * width + o * run;
      if (run < 32) for (let k = 0; k < run; k++) rows[to + k] = data[from + k];
      else rows.set(data.subarray(from, from + run), to);
    }
  }
  return { rows, width };
}

/** Concatenates per-axis row blocks into one n × Σwidth matrix. */
function concatRows(parts: { rows: Float32Array; width: number }[], n: number): { m: Float32Array; width: number } {
  const width = parts.reduce((a, p) => a + p.width, 0);
  const m = new Float32Array(n * width);
  let off = 0;
  for (const p of parts) {
    for (let c = 0; c < n; c++) m.set(p.rows.subarray(c * p.width, (c + 1) * p.width), c * width + off);
    off += p.width;
  }
  return { m, width };
}

function floatOf(state: StateDict, name: string, which: string): { data: Float32Array; shape: number[] } {
  const t = state.get(name);
  if (!t || t.data instanceof BigInt64Array) throw new Error(`model ${which} has no float tensor "${name}"`);
  return { data: t.data, shape: t.shape };
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
    fixedA.set(g.name, concatRows(g.axes.map((ax) => { const t = floatOf(a, ax.tensor, 'A'); return unitRows(t.data, t.shape, ax.axis, ax.block, g.size); }), g.size).m);
  }
  const bRows = (g: PermGroup): { m: Float32Array; width: number } => concatRows(g.axes.map((ax: AxisRef) => {
    const t = floatOf(b, ax.tensor, 'B');
    const permuted = permutedTensor(t.data, t.shape, byTensor.get(ax.tensor)!, perms, { group: g.name, axis: ax.axis });
    return unitRows(permuted, t.shape, ax.axis, ax.block, g.size);
  }), g.size);

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
        const { col } = linearAssignment(s, g.size);
        const oldL = assignmentValue(s, g.size, perms[name]);
        const newL = assignmentValue(s, g.size, col);
        trace.push({ iteration: it, group: name, gain: newL - oldL });
        if (newL > oldL + 1e-12) { progress = true; perms[name] = col; }
      }
      ctx.progress({ done: it + 1, total: maxIter, unit: 'iterations', message: `weight matching: round ${it + 1}` });
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
    for (let i = 0; i < ta.length; i++) { before += (ta[i] - tb[i]) ** 2; after += (ta[i] - tp[i]) ** 2; }
  }
  return { groups, distance: { before, after } };
}
