// mergekit's Arcee Fusion: take the other model's value only where it matters most — where its change from
// the base, times how much that row's softmax moved (KL divergence), is an outlier (≥ median + 1.5·IQR).
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { requireBase, seedParam, type MergeMethod } from './types';

const params = z.object({ seed: seedParam() }).strict();

/** Added to both softmaxes before the KL divergence (mergekit's eps). */
const KL_EPS = 1e-8;
/** Above this many entries the quartiles are estimated from a random sample of this many (as mergekit). */
export const QUANTILE_SAMPLE = 1_000_000;

/** Softmax of v[off, off+len), plus eps, into p. */
function softmaxInto(v: Float32Array, off: number, len: number, p: Float64Array): void {
  let max = -Infinity;
  for (let j = 0; j < len; j++) max = Math.max(max, v[off + j]);
  let s = 0;
  for (let j = 0; j < len; j++) { p[j] = Math.exp(v[off + j] - max); s += p[j]; }
  for (let j = 0; j < len; j++) p[j] = p[j] / s + KL_EPS;
}

/**
 * Importance of each entry: |θ − θ_b| times the KL divergence of softmax(θ) from softmax(θ_b) over its row
 * (the last axis; the whole tensor when it has one axis), in f32 as mergekit's tensors are.
 */
export function fusionImportance(model: Float32Array, base: Float32Array, shape: readonly number[] | undefined): Float32Array {
  const n = base.length;
  const len = shape && shape.length ? shape[shape.length - 1] : n;
  const out = new Float32Array(n);
  if (len === 0) return out;
  const p = new Float64Array(len);
  const q = new Float64Array(len);
  for (let off = 0; off < n; off += len) {
    softmaxInto(model, off, len, p);
    softmaxInto(base, off, len, q);
    let kl = 0;
    for (let j = 0; j < len; j++) kl += p[j] * Math.log(p[j] / q[j]);
    for (let j = 0; j < len; j++) out[off + j] = Math.abs(Math.fround(model[off + j] - base[off + j])) * kl;
  }
  return out;
}

/** mergekit's threshold: median + 1.5·(q3 − q1), each quartile the sorted value at floor(q·(m − 1)), in f32. */
export function fusionThreshold(importance: Float32Array, rand: () => number): number {
  const n = importance.length;
  let sample: Float32Array;
  if (n > QUANTILE_SAMPLE) {
    // A uniform sample without replacement (Floyd's algorithm), as mergekit's randperm(n)[:1e6].
    const chosen = new Set<number>();
    for (let j = n - QUANTILE_SAMPLE; j < n; j++) {
      const r = Math.floor(rand() * (j + 1));
      chosen.add(chosen.has(r) ? j : r);
    }
    sample = new Float32Array(QUANTILE_SAMPLE);
    let k = 0;
    for (const i of chosen) sample[k++] = importance[i];
  } else {
    sample = Float32Array.from(importance);
  }
  sample.sort();
  const at = (q: number) => sample[Math.floor(q * (sample.length - 1))];
  const iqr = Math.fround(at(0.75) - at(0.25));
  return Math.fround(at(0.5) + Math.fround(1.5 * iqr));
}

export const arceeFusion: MergeMethod<z.infer<typeof params>> = {
  id: 'arcee_fusion',
  label: 'Arcee Fusion',
  formula: 'Iᵢ = |θ₁ − θ_b|ᵢ · KL(softmax(θ₁) ‖ softmax(θ_b)) over its row; θ = θ_b + (θ₁ − θ_b)·[Iᵢ ≥ median(I) + 1.5·IQR(I)]',
  whenToUse: 'Use it to graft onto a base only the few changes of one fine-tune that stand out, as mergekit\'s arcee_fusion does.',
  params,
  needsBase: true,
  minModels: 1,
  maxModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const base = requireBase(input);
    const model = input.models[0];
    const importance = fusionImportance(model, base, input.shape);
    const threshold = fusionThreshold(importance, mulberry32(input.seed));
    const out = new Float32Array(base.length);
    for (let i = 0; i < out.length; i++) out[i] = importance[i] >= threshold ? base[i] + Math.fround(model[i] - base[i]) : base[i];
    return out;
  },
};
