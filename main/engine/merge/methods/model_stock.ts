// Model stock: interpolate between the mean of fine-tunes and the base by how aligned their task vectors are.
import { z } from 'zod';
import { booleanParam, requireBase, type KernelInput, type MergeMethod } from './types';

const MIN_NORM_PRODUCT = 1e-6;
const tOf = (k: number, cos: number) => (k * cos) / (1 + (k - 1) * cos);

const params = z.object({
  filter_wise: booleanParam(false, 'One t per row (the last axis\'s runs: a matrix\'s output filters) instead of one per tensor, as mergekit\'s filter_wise.'),
}).strict();

/**
 * The mean pairwise cosine of the task vectors over entries [start, start + len): as mergekit, the norm product
 * is floored at 1e-6 (so a zero task vector counts as orthogonal) and each cosine clipped to [−1, 1].
 */
function meanCosine(models: Float32Array[], base: Float32Array, start: number, len: number): number {
  const k = models.length;
  const dots = new Float64Array(k * k);
  for (let i = start; i < start + len; i++) {
    for (let a = 0; a < k; a++) {
      // Task vectors in float32, as mergekit holds them.
      const da = Math.fround(models[a][i] - base[i]);
      for (let b = a; b < k; b++) dots[a * k + b] += da * Math.fround(models[b][i] - base[i]);
    }
  }
  let cosSum = 0;
  let pairs = 0;
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const norms = Math.sqrt(dots[a * k + a]) * Math.sqrt(dots[b * k + b]);
      cosSum += Math.min(1, Math.max(-1, dots[a * k + b] / Math.max(norms, MIN_NORM_PRODUCT)));
      pairs++;
    }
  }
  return cosSum / pairs;
}

/** The rows t is found for: the whole tensor, or (filter_wise) runs of the last axis (a vector is one row). */
function rowLength(input: KernelInput<z.infer<typeof params>>, n: number): number {
  if (!input.params.filter_wise) return n;
  const last = input.shape?.length ? input.shape[input.shape.length - 1] : n;
  return last > 0 && n % last === 0 ? last : n;
}

export const modelStock: MergeMethod<z.infer<typeof params>> = {
  id: 'model_stock',
  label: 'Model stock',
  formula: 'cosθ = mean pairwise cos(δᵢ, δⱼ) (a negative mean counts as 0); t = N·cosθ / (1 + (N−1)·cosθ); θ = t·(Σθᵢ/N) + (1 − t)·θ_b  (per row with filter_wise)',
  whenToUse: 'Use it for a few fine-tunes of one base with no tuning budget: it picks the interpolation weight itself, per tensor.',
  params,
  needsBase: true,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const base = requireBase(input);
    const { models } = input;
    const k = models.length;
    const n = base.length;
    const len = rowLength(input, n);
    const out = new Float32Array(n);
    let negative = 0;
    let firstNegative = 0;
    for (let start = 0; start < n; start += len) {
      const mean = meanCosine(models, base, start, len);
      // A negative mean would send t below 0 (away from the fine-tunes) or through the pole at −1/(N−1), where
      // mergekit goes on; here it counts as "no agreement", t = 0, the base — and the log says so.
      if (mean < 0 && negative++ === 0) firstNegative = mean;
      const t = tOf(k, Math.max(0, mean));
      for (let i = start; i < start + len; i++) {
        let s = 0;
        for (let m = 0; m < k; m++) s += models[m][i];
        out[i] = t * (s / k) + (1 - t) * base[i];
      }
    }
    if (negative) {
      const where = len === n ? '' : ` in ${negative} of ${n / len} rows (the first: ${firstNegative.toPrecision(3)})`;
      input.note?.(`mean cosine of the task vectors is ${len === n ? firstNegative.toPrecision(3) : 'negative'} < 0${where}: t = 0 (the base) here, where mergekit would use t = ${tOf(k, firstNegative).toPrecision(3)}`);
    }
    return out;
  },
};
