// Combination steps shared by the task-vector methods: deltas against a base, the weighted sum of task
// vectors, and the TIES sign election with the agreeing-entries average — as mergekit's generalized task
// arithmetic computes them (mergekit/merge_methods/generalized_task_arithmetic.py).

export function deltaOf(model: Float32Array, base: Float32Array): Float32Array {
  const d = new Float32Array(model.length);
  for (let i = 0; i < d.length; i++) d[i] = model[i] - base[i];
  return d;
}

/** Below this |Σwᵢ| a `normalize` divides by 1 instead (mergekit's guard for weights that cancel). */
export const NORMALIZE_MIN_SUM = 1e-8;

/**
 * base + λ·Σwᵢδᵢ, divided by Σwᵢ first when `normalize` (unless |Σwᵢ| < 1e-8, where mergekit divides by 1).
 */
export function linearCombine(base: Float32Array, deltas: Float32Array[], weights: number[], lambda: number, normalize = false): Float32Array {
  const n = base.length;
  const acc = new Float64Array(n);
  for (let m = 0; m < deltas.length; m++) {
    const d = deltas[m];
    const w = weights[m];
    for (let i = 0; i < n; i++) acc[i] += w * d[i];
  }
  let div = 1;
  if (normalize) {
    const s = weights.reduce((a, b) => a + b, 0);
    if (Math.abs(s) >= NORMALIZE_MIN_SUM) div = s;
  }
  const k = lambda / div;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = base[i] + k * acc[i];
  return out;
}

/**
 * TIES merge of already-sparsified deltas, per entry: the elected sign is that of Σwᵢδᵢ (+ when the sum is
 * exactly 0); the entries whose wᵢδᵢ has that sign are kept (a zero never agrees), summed as Σwᵢδᵢ and,
 * when `normalize`, divided by the sum of their weights Σwᵢ (1 where that is 0). So with a negative weight
 * the vote is on the sign of wᵢδᵢ, not of δᵢ. Then base + λ × that.
 */
export function tiesCombine(base: Float32Array, deltas: Float32Array[], weights: number[], lambda: number, normalize = true): Float32Array {
  const n = base.length;
  const k = deltas.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < k; m++) s += weights[m] * deltas[m][i];
    const positive = s >= 0;
    let num = 0;
    let den = 0;
    for (let m = 0; m < k; m++) {
      const wd = weights[m] * deltas[m][i];
      if (positive ? wd > 0 : wd < 0) { num += wd; den += weights[m]; }
    }
    const mixed = normalize && den !== 0 ? num / den : num;
    out[i] = base[i] + lambda * mixed;
  }
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}
