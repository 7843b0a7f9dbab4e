// Combination steps shared by the task-vector methods: deltas against a base, weighted sums, and the
// TIES sign election with the agreeing-entries average.

export function deltaOf(model: Float32Array, base: Float32Array): Float32Array {
  const d = new Float32Array(model.length);
  for (let i = 0; i < d.length; i++) d[i] = model[i] - base[i];
  return d;
}

/** base + lambda × Σ wᵢ deltaᵢ */
export function addWeightedSum(base: Float32Array, deltas: Float32Array[], weights: number[], lambda: number): Float32Array {
  const n = base.length;
  const acc = new Float64Array(n);
  for (let m = 0; m < deltas.length; m++) {
    const d = deltas[m];
    const w = weights[m];
    for (let i = 0; i < n; i++) acc[i] += w * d[i];
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = base[i] + lambda * acc[i];
  return out;
}

/**
 * TIES merge of already-sparsified deltas: elect the sign of Σwᵢδᵢ per entry, average the entries that
 * agree with it (dividing by the sum of the agreeing weights), and add lambda × that to the base.
 * Zeroed (dropped) entries do not vote and do not count as agreeing.
 */
export function tiesCombine(base: Float32Array, deltas: Float32Array[], weights: number[], lambda: number): Float32Array {
  const n = base.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let m = 0; m < deltas.length; m++) s += weights[m] * deltas[m][i];
    const sign = s > 0 ? 1 : s < 0 ? -1 : 0;
    let num = 0;
    let den = 0;
    if (sign !== 0) {
      for (let m = 0; m < deltas.length; m++) {
        const d = deltas[m][i];
        if ((d > 0 && sign > 0) || (d < 0 && sign < 0)) { num += weights[m] * d; den += weights[m]; }
      }
    }
    out[i] = base[i] + (den !== 0 ? lambda * (num / den) : 0);
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
