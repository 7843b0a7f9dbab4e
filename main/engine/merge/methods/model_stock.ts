// Model stock: interpolate between the mean of fine-tunes and the base by how aligned their task vectors are.
import { z } from 'zod';
import { deltaOf, dot, norm } from '../kernels/combine';
import { requireBase, type MergeMethod } from './types';

export const modelStock: MergeMethod<Record<string, never>> = {
  id: 'model_stock',
  label: 'Model stock',
  formula: 'cosθ = mean pairwise cos(δᵢ, δⱼ); t = N·cosθ / (1 + (N−1)·cosθ); θ = t·(Σθᵢ/N) + (1 − t)·θ_b',
  whenToUse: 'Use it for a few fine-tunes of one base with no tuning budget: it picks the interpolation weight itself, per tensor.',
  params: z.object({}).strict() as never,
  needsBase: true,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const base = requireBase(input);
    const { models } = input;
    const k = models.length;
    const deltas = models.map((m) => deltaOf(m, base));
    const norms = deltas.map(norm);
    let cosSum = 0;
    let pairs = 0;
    for (let a = 0; a < k; a++) {
      for (let b = a + 1; b < k; b++) {
        // A zero task vector has no direction: it counts as orthogonal.
        cosSum += norms[a] > 0 && norms[b] > 0 ? dot(deltas[a], deltas[b]) / (norms[a] * norms[b]) : 0;
        pairs++;
      }
    }
    // Negative agreement would send t below 0 (or through a pole); clamp it to "no agreement" = the base.
    const cos = Math.min(1, Math.max(0, cosSum / pairs));
    const t = (k * cos) / (1 + (k - 1) * cos);
    const out = new Float32Array(base.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += models[m][i];
      out[i] = t * (s / k) + (1 - t) * base[i];
    }
    return out;
  },
};
