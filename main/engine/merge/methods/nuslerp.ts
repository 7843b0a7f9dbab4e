// mergekit's NuSLERP: SLERP of two models with the interpolation factor from their weights, over the whole
// flattened tensor (default), or vector by vector along one axis; on task vectors when a base is given.
import { z } from 'zod';
import { booleanParam, type MergeMethod } from './types';

const params = z.object({
  nuslerp_flatten: booleanParam(true, 'Interpolate the flattened tensor as one vector (mergekit\'s default); off: vector by vector along one axis.'),
  nuslerp_row_wise: booleanParam(false, 'Without flatten: interpolate the vectors along the first axis (mergekit transposes it last); off: along the last axis.'),
}).strict();

/** Norms below this count as this when normalising (mergekit's clamp), so an all-zero vector has direction 0. */
const MIN_NORM = 1e-7;
/** |sin Ω| below this: the vectors are (anti)parallel, interpolate linearly. */
const COLINEAR_SIN = 1e-8;

/** t from the two weights: w₁/(w₀+w₁), or ½ when the sum is (nearly) 0, as mergekit. */
export function nuslerpT(weights: readonly number[]): number {
  const s = weights[0] + weights[1];
  return Math.abs(s) < 1e-6 ? 0.5 : weights[1] / s;
}

/**
 * SLERP of `len`-long vectors at offsets off(k) with stride `stride`, for k in [0, count): each pair of vectors
 * on its own arc. No dot threshold (unlike slerp): only |sin Ω| < 1e-8 falls back to the line.
 */
function slerpVectors(a: Float32Array, b: Float32Array, out: Float32Array, t: number, count: number, len: number, stride: number, off: (k: number) => number): void {
  for (let k = 0; k < count; k++) {
    const o = off(k);
    let aa = 0; let bb = 0; let ab = 0;
    for (let j = 0, i = o; j < len; j++, i += stride) { aa += a[i] * a[i]; bb += b[i] * b[i]; ab += a[i] * b[i]; }
    const cos = Math.min(1, Math.max(-1, ab / (Math.max(Math.sqrt(aa), MIN_NORM) * Math.max(Math.sqrt(bb), MIN_NORM))));
    const theta = Math.acos(cos);
    const sin = Math.sin(theta);
    const colinear = Math.abs(sin) < COLINEAR_SIN;
    const s0 = colinear ? 1 - t : Math.sin((1 - t) * theta) / sin;
    const s1 = colinear ? t : Math.sin(t * theta) / sin;
    for (let j = 0, i = o; j < len; j++, i += stride) out[i] = s0 * a[i] + s1 * b[i];
  }
}

export function nuslerpTensors(a: Float32Array, b: Float32Array, t: number, shape: readonly number[] | undefined, flatten: boolean, rowWise: boolean): Float32Array {
  const out = new Float32Array(a.length);
  const dims = shape && shape.length ? shape : [a.length];
  if (flatten || dims.length === 1) {
    slerpVectors(a, b, out, t, 1, a.length, 1, () => 0);
  } else if (!rowWise) {
    // Along the last axis: contiguous vectors.
    const len = dims[dims.length - 1];
    slerpVectors(a, b, out, t, a.length / len, len, 1, (k) => k * len);
  } else {
    // Along the first axis: the vectors θ[:, j…] for each position j of the other axes.
    const len = dims[0];
    const stride = a.length / len;
    slerpVectors(a, b, out, t, stride, len, stride, (k) => k);
  }
  return out;
}

export const nuslerp: MergeMethod<z.infer<typeof params>> = {
  id: 'nuslerp',
  label: 'NuSLERP',
  formula: 't = w₁/(w₀+w₁) (½ when the sum is 0); Ω = angle(θ₀, θ₁); θ = (sin((1−t)Ω)·θ₀ + sin(tΩ)·θ₁)/sin Ω, linear when |sin Ω| < 1e-8  (on δᵢ, plus θ_b, with a base; per row or column without flatten)',
  whenToUse: 'Use it to run a mergekit nuslerp config: SLERP of two models set by their weights, optionally of their task vectors or row by row.',
  params,
  needsBase: false,
  acceptsBase: true,
  minModels: 2,
  maxModels: 2,
  normalizesWeights: false,
  usesWeights: true,
  kernel({ models, weights, base, params: p, shape }) {
    const t = nuslerpT(weights);
    if (!base) return nuslerpTensors(models[0], models[1], t, shape, p.nuslerp_flatten, p.nuslerp_row_wise);
    const d0 = new Float32Array(base.length);
    const d1 = new Float32Array(base.length);
    for (let i = 0; i < base.length; i++) { d0[i] = models[0][i] - base[i]; d1[i] = models[1][i] - base[i]; }
    const out = nuslerpTensors(d0, d1, t, shape, p.nuslerp_flatten, p.nuslerp_row_wise);
    for (let i = 0; i < out.length; i++) out[i] += base[i];
    return out;
  },
};
