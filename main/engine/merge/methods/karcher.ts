// mergekit's Karcher mean: the Riemannian mean of the models' directions on the unit sphere, found by
// fixed-point iteration, scaled by the mean of their norms. Every model counts equally, as in mergekit.
import { z } from 'zod';
import { numberParam, type MergeMethod } from './types';

const params = z.object({
  max_iter: z.number().int().min(1).max(1000).default(10).meta({ step: 1, description: 'Most iterations of the fixed-point search for the mean direction.' }),
  tol: numberParam(0, 0.1, 1e-5, 1e-6, 'Stop when the tangent step is shorter than this; norms and angles below it count as zero.'),
}).strict();

export function karcherTensors(tensors: Float32Array[], maxIter: number, tol: number): Float32Array {
  const n = tensors[0].length;
  const k = tensors.length;
  if (k === 1) return Float32Array.from(tensors[0]);
  const alpha = 1 / k;
  const norms = tensors.map((t) => { let s = 0; for (let i = 0; i < n; i++) s += t[i] * t[i]; return Math.sqrt(s); });
  // Directions of the tensors whose norm exceeds tol; their weights renormalised to sum to 1.
  const valid = norms.map((x, m) => (x > tol ? m : -1)).filter((m) => m >= 0);
  if (valid.length === 0) return new Float32Array(n);
  const units = valid.map((m) => { const u = new Float64Array(n); const s = 1 / norms[m]; for (let i = 0; i < n; i++) u[i] = tensors[m][i] * s; return u; });
  const a = 1 / valid.length;
  const normOf = (v: Float64Array) => { let s = 0; for (let i = 0; i < n; i++) s += v[i] * v[i]; return Math.sqrt(s); };

  // Start from the normalised arithmetic mean of the directions (the first direction if they cancel).
  let u = new Float64Array(n);
  for (const ui of units) for (let i = 0; i < n; i++) u[i] += a * ui[i];
  const nu = normOf(u);
  if (nu < tol) u = Float64Array.from(units[0]);
  else for (let i = 0; i < n; i++) u[i] /= nu;

  const tangent = new Float64Array(n);
  for (let iter = 0; iter < maxIter; iter++) {
    tangent.fill(0);
    for (const ui of units) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * ui[i];
      dot = Math.min(1, Math.max(-1, dot));
      const theta = Math.acos(dot);
      if (theta < tol) continue;
      // The log map of ui at u, weighted: a·θ/sin θ·(ui − (u·ui)u).
      const c = a * theta / Math.sin(theta);
      for (let i = 0; i < n; i++) tangent[i] += c * (ui[i] - dot * u[i]);
    }
    const nt = normOf(tangent);
    if (nt < tol) break;
    // The exponential map back onto the sphere, then renormalise against drift.
    const c = Math.cos(nt);
    const s = Math.sin(nt) / nt;
    for (let i = 0; i < n; i++) u[i] = c * u[i] + s * tangent[i];
    const nn = normOf(u);
    if (nn > tol) for (let i = 0; i < n; i++) u[i] /= nn;
  }
  // The scale is the mean norm over all tensors, zero ones included (mergekit's 1/N each).
  let scale = 0;
  for (const x of norms) scale += alpha * x;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * u[i];
  return out;
}

export const karcher: MergeMethod<z.infer<typeof params>> = {
  id: 'karcher',
  label: 'Karcher mean',
  formula: 'uᵢ = θᵢ/|θᵢ|; u = argmin Σ arccos(u·uᵢ)² on the unit sphere (fixed-point: u ← exp_u(Σ log_u(uᵢ)/N)); θ = u·Σ|θᵢ|/N',
  whenToUse: 'Use it to average several models on the sphere with equal weight, keeping the size of their weights, as mergekit\'s karcher does.',
  params,
  needsBase: false,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  kernel({ models, params: p }) {
    return karcherTensors(models, p.max_iter, p.tol);
  },
};
