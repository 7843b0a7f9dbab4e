// Magnitude-based selection shared by TIES, breadcrumbs and DELLA, and the sparsifiers themselves, as
// mergekit defines them (mergekit/sparsify.py). Ties between equal magnitudes are broken by position
// (lower index ranks lower) so every result is exactly reproducible.

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

/** Number of entries a fraction keeps out of n: int(fraction·n), rounded down as mergekit does. */
export function countOf(fraction: number, n: number): number {
  return Math.max(0, Math.min(n, Math.floor(fraction * n)));
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
// on a large tensor that saves one tensor-sized array per model. At density ≥ 1 each returns the delta
// unchanged, as mergekit's do (so breadcrumbs' gamma and DELLA's epsilon do nothing there).

/** How the survivors of a random drop are scaled back up. */
export type Rescale = 'l1' | 'inverse' | 'none';
export const RESCALES = ['l1', 'inverse', 'none'] as const;

/** Below this an L1 norm counts as zero and the `l1` rescale leaves the tensor as it is (mergekit's guard). */
export const RESCALE_MIN_NORM = 1e-7;

/** Sum of |x|, in f64. */
function l1(values: Float32Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]);
  return s;
}

/** Scales `masked` in place by before/after (one scalar per tensor), unless either norm is ~0. */
function l1Rescale(masked: Float32Array, before: number): void {
  const after = l1(masked);
  if (before < RESCALE_MIN_NORM || after < RESCALE_MIN_NORM) return;
  const k = before / after;
  for (let i = 0; i < masked.length; i++) masked[i] *= k;
}

/** How the survivors of a magnitude trim are scaled: mergekit's `rescale` (true = l1), false by default. */
export type TrimRescale = 'l1' | 'none';
export const TRIM_RESCALES = ['none', 'l1'] as const;

/** TIES trim: keep the int(density·n) entries of largest magnitude, zero the rest (then the L1 rescale, when asked). */
export function trimToDensity(delta: Float32Array, density: number, note?: (m: string) => void, rescale: TrimRescale = 'none'): Float32Array {
  if (density >= 1) return delta;
  const k = countOf(density, delta.length);
  if (k === 0 && delta.length > 0) note?.(`density ${density} keeps int(${density}·${delta.length}) = 0 entries, so this task vector is dropped whole (mergekit stops with an error on it)`);
  const before = rescale === 'l1' ? l1(delta) : 0;
  const mask = topKMask(absOf(delta), k);
  for (let i = 0; i < delta.length; i++) if (!mask[i]) delta[i] = 0;
  if (rescale === 'l1') l1Rescale(delta, before);
  return delta;
}

/**
 * Breadcrumbs: keep int(density·n) entries, after dropping the int(gamma·n) largest (fewer when the two
 * would not fit in n). Where int(gamma·n) = 0, mergekit's `indices[n_bot:-0]` slice is empty and drops the
 * whole task vector; here nothing is dropped from the top instead, and `note` says so.
 */
export function breadcrumbsTrim(delta: Float32Array, density: number, gamma: number, note?: (m: string) => void, rescale: TrimRescale = 'none'): Float32Array {
  if (density >= 1) return delta;
  const before = rescale === 'l1' ? l1(delta) : 0;
  const n = delta.length;
  const target = countOf(density, n);
  let nTop = countOf(gamma, n);
  if (n - target - nTop < 0) nTop = n - target;
  if (nTop === 0 && target > 0) note?.(`gamma ${gamma} drops int(${gamma}·${n}) = 0 outliers: the top ${target} entries are kept, where mergekit's breadcrumbs would empty this task vector (its n_top = 0 slice)`);
  const abs = absOf(delta);
  const top = topKMask(abs, nTop);
  const upTo = topKMask(abs, nTop + target);
  for (let i = 0; i < n; i++) if (!upTo[i] || top[i]) delta[i] = 0;
  if (rescale === 'l1') l1Rescale(delta, before);
  return delta;
}

/**
 * DARE: keep each entry with probability `density`. `l1` (mergekit's default) then scales the kept entries
 * by one scalar, ‖δ‖₁ / ‖kept δ‖₁; `inverse` (the paper's) scales each by 1/density; `none` keeps them as they are.
 */
export function dareDrop(delta: Float32Array, density: number, rescale: Rescale, rand: () => number): Float32Array {
  if (density >= 1) return delta;
  const before = rescale === 'l1' ? l1(delta) : 0;
  const scale = rescale === 'inverse' && density > 0 ? 1 / density : 1;
  for (let i = 0; i < delta.length; i++) delta[i] = rand() < density ? delta[i] * scale : 0;
  if (rescale === 'l1') l1Rescale(delta, before);
  return delta;
}

/** The DELLA refusal (mergekit's too): keep probabilities density ± ε must lie inside (0, 1). */
export function dellaRangeError(density: number, epsilon: number): string | undefined {
  if (density >= 1 || density <= 0) return undefined;
  if (density - epsilon > 0 && density + epsilon < 1) return undefined;
  return `density ± epsilon must lie inside (0, 1), as mergekit requires: density ${density} with epsilon ${epsilon} gives ${+(density - epsilon).toFixed(6)}…${+(density + epsilon).toFixed(6)}; lower epsilon or move density`;
}

/** Largest run ranked by one sort of packed (magnitude bits, index) keys: 2^21 entries (53-bit doubles). */
const PACKED_MAX = 1 << 21;

/**
 * Normalised magnitude rank along dimension 1 (mergekit's `argsort(dim=1)`): for a [rows, cols] matrix each
 * row on its own, for a conv weight [out, in, kh, kw] each (out, kh, kw) fibre over `in`; a 1-D tensor is
 * one row. 0 for the smallest of a fibre, 1 for the largest (ties: lower index ranks lower). NaN where a
 * fibre has one entry (there is no rank to spread; mergekit divides 0 by 0 there).
 */
export function rowRankNorms(abs: Float32Array, shape: readonly number[] | undefined): Float32Array {
  const n = abs.length;
  const whole = shape ? shape.reduce((a, b) => a * b, 1) : -1;
  const dims = shape && shape.length >= 2 && whole === n ? shape : [1, n];
  const len = dims[1];
  const inner = dims.slice(2).reduce((a, b) => a * b, 1);
  const outer = len * inner > 0 ? n / (len * inner) : 0;
  const out = new Float32Array(n);
  if (len === 1) return out.fill(NaN);
  const fibre = new Float32Array(len);
  const keys = new Float64Array(len <= PACKED_MAX ? len : 0);
  const bits = new Uint32Array(fibre.buffer);
  for (let a = 0; a < outer; a++) {
    for (let c = 0; c < inner; c++) {
      const start = a * len * inner + c;
      for (let b = 0; b < len; b++) fibre[b] = abs[start + b * inner];
      if (len <= PACKED_MAX) {
        // For floats ≥ 0 the bit patterns sort like the values; the index in the low bits keeps ties in order.
        for (let b = 0; b < len; b++) keys[b] = bits[b] * PACKED_MAX + b;
        keys.sort();
        for (let r = 0; r < len; r++) out[start + (keys[r] % PACKED_MAX) * inner] = r / (len - 1);
      } else {
        const ranks = magnitudeRanks(fibre);
        for (let b = 0; b < len; b++) out[start + b * inner] = ranks[b] / (len - 1);
      }
    }
  }
  return out;
}

/**
 * DELLA (MagPrune): keep probabilities rise linearly with the magnitude rank along dimension 1, from
 * density − ε (smallest of a row) to density + ε (largest); then the rescale as in DARE, where `inverse`
 * scales each kept entry by its own 1/p (the paper's). A row of one entry keeps it with p = density.
 */
export function dellaDrop(delta: Float32Array, shape: readonly number[] | undefined, density: number, epsilon: number, rescale: Rescale, rand: () => number, note?: (m: string) => void): Float32Array {
  if (density >= 1) return delta;
  if (density <= 0) return delta.fill(0);
  const refused = dellaRangeError(density, epsilon);
  if (refused) throw new Error(refused);
  const n = delta.length;
  const abs = absOf(delta);
  const rankNorm = rowRankNorms(abs, shape);
  if (n > 0 && Number.isNaN(rankNorm[0])) note?.(`its rows have one entry each, so there is no magnitude rank: each is kept with p = density ${density} (mergekit divides 0 by 0 here)`);
  const before = rescale === 'l1' ? l1(delta) : 0;
  for (let i = 0; i < n; i++) {
    const r = rankNorm[i];
    const p = Number.isNaN(r) ? density : density - epsilon + r * 2 * epsilon;
    delta[i] = rand() < p ? (rescale === 'inverse' ? delta[i] / p : delta[i]) : 0;
  }
  if (rescale === 'l1') l1Rescale(delta, before);
  return delta;
}
