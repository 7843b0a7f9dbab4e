// Magnitude-based selection shared by TIES, breadcrumbs and DELLA. Ties between equal magnitudes are
// broken by position (lower index wins) so every result is exactly reproducible.

/** The value of rank k (0 = largest) among `values`, by quickselect on a copy: O(n). */
export function kthLargest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

export function absOf(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]);
  return out;
}

/** Mask (1 = kept) of the k entries of largest magnitude. */
export function topKMask(abs: Float32Array, k: number): Uint8Array {
  const n = abs.length;
  const mask = new Uint8Array(n);
  if (k <= 0) return mask;
  if (k >= n) { mask.fill(1); return mask; }
  const thr = kthLargest(abs, k - 1);
  let kept = 0;
  for (let i = 0; i < n; i++) if (abs[i] > thr) { mask[i] = 1; kept++; }
  for (let i = 0; i < n && kept < k; i++) if (abs[i] === thr) { mask[i] = 1; kept++; }
  return mask;
}

/** Number of entries a fraction keeps out of n (rounded, as mergekit does). */
export function countOf(fraction: number, n: number): number {
  return Math.max(0, Math.min(n, Math.round(fraction * n)));
}

/**
 * Rank of each entry by magnitude, 0 = smallest (ties: lower index ranks lower). An LSD radix sort on the
 * bits of the magnitudes (for floats ≥ 0 the bit patterns sort like the values): O(n), where a comparator
 * sort of a 100M-entry embedding would take minutes. Stable, so ties stay in index order.
 */
export function magnitudeRanks(abs: Float32Array): Uint32Array {
  const n = abs.length;
  const bits = new Uint32Array(abs.buffer, abs.byteOffset, n);
  let keys = Uint32Array.from(bits);
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let keys2 = new Uint32Array(n);
  let order2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let shift = 0; shift < 32; shift += 16) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(keys[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let b = 0; b < 65536; b++) { const c = count[b]; count[b] = sum; sum += c; }
    for (let i = 0; i < n; i++) {
      const at = count[(keys[i] >>> shift) & 0xffff]++;
      keys2[at] = keys[i];
      order2[at] = order[i];
    }
    [keys, keys2] = [keys2, keys];
    [order, order2] = [order2, order];
  }
  const rank = new Uint32Array(n);
  for (let r = 0; r < n; r++) rank[order[r]] = r;
  return rank;
}

// The sparsifiers below work in place on a delta the caller owns (a fresh θᵢ − θ_b), and return it:
// on a large tensor that saves one tensor-sized array per model.

/** TIES trim: keep the top `density` fraction of a delta by magnitude, zero the rest. */
export function trimToDensity(delta: Float32Array, density: number): Float32Array {
  const mask = topKMask(absOf(delta), countOf(density, delta.length));
  for (let i = 0; i < delta.length; i++) if (!mask[i]) delta[i] = 0;
  return delta;
}

/** DARE: drop each entry with probability 1 − density, rescale the kept ones by 1/density. */
export function dareDrop(delta: Float32Array, density: number, rand: () => number): Float32Array {
  if (density <= 0) return delta.fill(0);
  const scale = 1 / density;
  for (let i = 0; i < delta.length; i++) delta[i] = rand() < density ? delta[i] * scale : 0;
  return delta;
}

/** Breadcrumbs: drop the top `gamma` fraction and everything below the next `density` fraction. */
export function breadcrumbsTrim(delta: Float32Array, density: number, gamma: number): Float32Array {
  const abs = absOf(delta);
  const n = delta.length;
  const top = topKMask(abs, countOf(gamma, n));
  const upTo = topKMask(abs, countOf(gamma + density, n));
  for (let i = 0; i < n; i++) if (!upTo[i] || top[i]) delta[i] = 0;
  return delta;
}

/**
 * DELLA: keep probabilities rise linearly with magnitude rank from density − ε (smallest) to density + ε
 * (largest); kept entries are rescaled by 1/p so the expected delta is unchanged.
 */
export function dellaDrop(delta: Float32Array, density: number, epsilon: number, rand: () => number): Float32Array {
  const n = delta.length;
  const ranks = magnitudeRanks(absOf(delta));
  for (let i = 0; i < n; i++) {
    const frac = n > 1 ? ranks[i] / (n - 1) : 0.5;
    const p = Math.min(1, Math.max(0, density - epsilon + 2 * epsilon * frac));
    delta[i] = p > 0 && rand() < p ? delta[i] / p : 0;
  }
  return delta;
}
