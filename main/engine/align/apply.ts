// Applying permutations: every tensor axis a group moves is reordered the same way (weights, biases, BatchNorm
// parameters and running statistics), so the permuted model computes exactly the function it did before.
// Convention (Git Re-Basin's): perm[i] is the unit of the original model that lands at position i.
import type { StateDict } from '../models/types';
import type { AxisRef, PermGroup, PermutationSpec } from './spec';

/** Group name → permutation of its units. */
export type Permutations = Record<string, Int32Array>;

export function identityPermutations(spec: PermutationSpec): Permutations {
  return Object.fromEntries(spec.groups.map((g) => [g.name, Int32Array.from({ length: g.size }, (_, i) => i)]));
}

/** `data` (row-major, `shape`) reordered along `axis`, whose entries come in `block`s per unit: out[…, c·b + k, …] = in[…, perm[c]·b + k, …]; written into `into` when given. */
export function takeAlongAxis(data: Float32Array, shape: number[], axis: number, block: number, perm: ArrayLike<number>, into?: Float32Array): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = perm.length;
  if (shape[axis] !== n * block) throw new Error(`axis ${axis} of a [${shape.join(', ')}] tensor has ${shape[axis]} entries, not ${n} units × ${block}`);
  const run = block * inner, slab = n * run;
  if (into && (into === data || into.length !== data.length)) throw new Error('takeAlongAxis: the output must be another array of the same length');
  const out = into ?? new Float32Array(data.length);
  for (let o = 0; o < outer; o++) {
    const base = o * slab;
    for (let c = 0; c < n; c++) {
      const from = base + perm[c] * run, to = base + c * run;
      // short runs (a weight's input axis) element by element: a subarray per entry costs more than the copy
      if (run < 32) for (let k = 0; k < run; k++) out[to + k] = data[from + k];
      else out.set(data.subarray(from, from + run), to);
    }
  }
  return out;
}

/** Each tensor's axes with the group that moves them. */
export function axesByTensor(spec: PermutationSpec): Map<string, { ref: AxisRef; group: PermGroup }[]> {
  const m = new Map<string, { ref: AxisRef; group: PermGroup }[]>();
  for (const group of spec.groups) for (const ref of group.axes) m.set(ref.tensor, [...(m.get(ref.tensor) ?? []), { ref, group }]);
  return m;
}

/**
 * One tensor with every permutation applied, except on axis `except` (weight matching leaves the axis it solves
 * for). With `scratch` (two arrays of the tensor's length) the steps alternate between them instead of allocating,
 * so the result is one of them (or `data` itself when nothing moves).
 */
export function permutedTensor(data: Float32Array, shape: number[], axes: { ref: AxisRef; group: PermGroup }[], perms: Permutations, except?: { group: string; axis: number }, scratch?: [Float32Array, Float32Array]): Float32Array {
  let out = data, k = 0;
  for (const { ref, group } of axes) {
    if (except && except.group === group.name && except.axis === ref.axis) continue;
    const p = perms[group.name];
    if (!p) continue;
    out = takeAlongAxis(out, shape, ref.axis, ref.block, p, scratch?.[k]);
    k = 1 - k;
  }
  return out;
}

/** A new state dict with the permutations applied; tensors no group moves are shared with `state`. */
export function permuteState(state: StateDict, spec: PermutationSpec, perms: Permutations): StateDict {
  const byTensor = axesByTensor(spec);
  const out: StateDict = new Map();
  for (const [name, t] of state) {
    const axes = byTensor.get(name);
    if (!axes || t.data instanceof BigInt64Array) { out.set(name, t); continue; }
    out.set(name, { shape: t.shape, data: permutedTensor(t.data, t.shape, axes, perms) });
  }
  return out;
}

/** Units a permutation moves (positions i with perm[i] ≠ i). */
export function unitsMoved(p: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < p.length; i++) if (p[i] !== i) k++;
  return k;
}
