// Spherical weighted average of N models (or of their task vectors when a base is given).
import { z } from 'zod';
import { norm } from '../kernels/combine';
import { booleanParam, type MergeMethod } from './types';

const EPS = 1e-8;

/**
 * Weighted mean on the unit sphere: normalise each vector, take the weighted mean direction, map the
 * weighted tangent vectors back with the exponential map, and scale by the weighted mean norm.
 */
export function multislerpTensors(vectors: Float32Array[], weights: number[], note?: (message: string) => void, normalizeWeights = true): Float32Array {
  const n = vectors[0].length;
  const k = vectors.length;
  let total = 0;
  for (const w of weights) total += w;
  const w = normalizeWeights ? weights.map((x) => x / total) : weights;
  const norms = vectors.map(norm);
  const units = vectors.map((v, m) => { const u = new Float64Array(n); const s = 1 / (norms[m] + EPS); for (let i = 0; i < n; i++) u[i] = v[i] * s; return u; });
  const mean = new Float64Array(n);
  for (let m = 0; m < k; m++) for (let i = 0; i < n; i++) mean[i] += w[m] * units[m][i];
  let meanNorm = 0;
  for (let i = 0; i < n; i++) meanNorm += mean[i] * mean[i];
  meanNorm = Math.sqrt(meanNorm);
  const out = new Float32Array(n);
  if (meanNorm < EPS) {
    // Directions cancel: no sphere mean exists, fall back to the weighted linear average (mergekit does so for
    // two models and stops with an error for more).
    if (k > 2) note?.('the weighted directions cancel (no mean on the sphere): the weighted linear average is used, where mergekit stops with an error');
    for (let i = 0; i < n; i++) { let s = 0; for (let m = 0; m < k; m++) s += w[m] * vectors[m][i]; out[i] = s; }
    return out;
  }
  for (let i = 0; i < n; i++) mean[i] /= meanNorm;
  const tangent = new Float64Array(n);
  for (let m = 0; m < k; m++) {
    let d = 0;
    for (let i = 0; i < n; i++) d += units[m][i] * mean[i];
    for (let i = 0; i < n; i++) tangent[i] += w[m] * (units[m][i] - d * mean[i]);
  }
  let tn = 0;
  for (let i = 0; i < n; i++) tn += tangent[i] * tangent[i];
  tn = Math.sqrt(tn) + EPS;
  let avgNorm = 0;
  for (let m = 0; m < k; m++) avgNorm += w[m] * norms[m];
  const c = Math.cos(tn);
  const s = Math.sin(tn) / tn;
  for (let i = 0; i < n; i++) out[i] = (mean[i] * c + tangent[i] * s) * avgNorm;
  return out;
}

const params = z.object({
  normalize_weights: booleanParam(true, 'Divide the weights by their sum (mergekit\'s normalize_weights); off, they are used as given.'),
}).strict();

export const multislerp: MergeMethod<z.infer<typeof params>> = {
  id: 'multislerp',
  label: 'Multi-SLERP',
  formula: 'uᵢ = θᵢ/|θᵢ|; μ = normalise(Σwᵢuᵢ); τ = Σwᵢ(uᵢ − (uᵢ·μ)μ); θ = (μ cos|τ| + τ sin|τ|/|τ|)·Σwᵢ|θᵢ|  (on δᵢ, plus θ_b, when a base is given)',
  whenToUse: 'Use it to blend more than two models while keeping the size of their weights, as SLERP does for two.',
  params,
  needsBase: false,
  acceptsBase: true,
  minModels: 2,
  normalizesWeights: true,
  usesWeights: true,
  kernel({ models, weights, base, note, params: p }) {
    if (!base) return multislerpTensors(models, weights, note, p.normalize_weights);
    const deltas = models.map((m) => { const d = new Float32Array(m.length); for (let i = 0; i < d.length; i++) d[i] = m[i] - base[i]; return d; });
    const merged = multislerpTensors(deltas, weights, note, p.normalize_weights);
    for (let i = 0; i < merged.length; i++) merged[i] += base[i];
    return merged;
  },
};
