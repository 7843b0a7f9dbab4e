// Model stock: interpolate between the mean of fine-tunes and the base by how aligned their task vectors are.
import { z } from 'zod';
import { deltaOf, dot, norm } from '../kernels/combine';
import { requireBase, type MergeMethod } from './types';

const MIN_NORM_PRODUCT = 1e-6;
const tOf = (k: number, cos: number) => (k * cos) / (1 + (k - 1) * cos);

export const modelStock: MergeMethod<Record<string, never>> = {
  id: 'model_stock',
  label: 'Model stock',
  formula: 'cosθ = mean pairwise cos(δᵢ, δⱼ) (a negative mean counts as 0); t = N·cosθ / (1 + (N−1)·cosθ); θ = t·(Σθᵢ/N) + (1 − t)·θ_b',
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
        // As mergekit: the norm product is floored at 1e-6 (so a zero task vector counts as orthogonal), each
        // cosine clipped to [−1, 1].
        cosSum += Math.min(1, Math.max(-1, dot(deltas[a], deltas[b]) / Math.max(norms[a] * norms[b], MIN_NORM_PRODUCT)));
        pairs++;
      }
    }
    const mean = cosSum / pairs;
    // A negative mean would send t below 0 (away from the fine-tunes) or through the pole at −1/(N−1), where
    // mergekit goes on; here it counts as "no agreement", t = 0, the base — and the log says so.
    const cos = Math.max(0, mean);
    if (mean < 0) input.note?.(`mean cosine of the task vectors is ${mean.toPrecision(3)} < 0: t = 0 (the base) here, where mergekit would use t = ${tOf(k, mean).toPrecision(3)}`);
    const t = tOf(k, cos);
    const out = new Float32Array(base.length);
    for (let i = 0; i < out.length; i++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += models[m][i];
      out[i] = t * (s / k) + (1 - t) * base[i];
    }
    return out;
  },
};
