// Spherical interpolation between two models along the arc between their flattened tensors.
import { z } from 'zod';
import { dot, norm } from '../kernels/combine';
import { numberParam, type MergeMethod } from './types';

const params = z.object({ t: numberParam(0, 1, 0.5, 0.01, 't: 0 gives the first model, 1 the second.') }).strict();

/** Nearly parallel tensors: the arc is numerically a line, so interpolate linearly. */
export const SLERP_PARALLEL_COS = 0.9995;

/** A tensor with a norm at most this has no direction (mergekit does not normalise it either). */
export const SLERP_MIN_NORM = 1e-8;

export function slerpTensors(a: Float32Array, b: Float32Array, t: number, note?: (message: string) => void): Float32Array {
  const out = new Float32Array(a.length);
  const na = norm(a);
  const nb = norm(b);
  const directionless = na <= SLERP_MIN_NORM || nb <= SLERP_MIN_NORM;
  // mergekit takes an all-zero tensor as orthogonal to the other and weighs them cos(tπ/2), sin(tπ/2), which
  // bulges away from the line between them; a straight line is the only sensible path from a point of no
  // direction, so interpolate linearly there (continuous with the parallel case below).
  if (directionless && (na > 0 || nb > 0)) {
    note?.(`model ${na <= SLERP_MIN_NORM ? 0 : 1}'s tensor is all zeros (norm ≤ 1e-8): interpolated linearly, where mergekit would weigh the two cos(tπ/2) and sin(tπ/2)`);
  }
  const cos = directionless ? 1 : dot(a, b) / (na * nb);
  if (Math.abs(cos) > SLERP_PARALLEL_COS) {
    for (let i = 0; i < out.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const theta = Math.acos(cos);
  const sin = Math.sin(theta);
  const s0 = Math.sin((1 - t) * theta) / sin;
  const s1 = Math.sin(t * theta) / sin;
  for (let i = 0; i < out.length; i++) out[i] = s0 * a[i] + s1 * b[i];
  return out;
}

export const slerp: MergeMethod<z.infer<typeof params>> = {
  id: 'slerp',
  label: 'SLERP',
  formula: 'Ω = arccos(θ₀·θ₁ / |θ₀||θ₁|); θ = sin((1−t)Ω)/sin Ω·θ₀ + sin(tΩ)/sin Ω·θ₁  (linear when |cos Ω| > 0.9995 or a tensor is all zeros)',
  whenToUse: 'Use it to blend exactly two models while keeping the size of their weights, which plain averaging shrinks.',
  params,
  needsBase: false,
  minModels: 2,
  maxModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  kernel({ models, params: p, note }) {
    return slerpTensors(models[0], models[1], p.t, note);
  },
};
