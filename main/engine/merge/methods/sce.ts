// mergekit's SCE (Select, Calculate, Erase): keep the entries where the task vectors vary most across models,
// weight each model by the mean square of its task vector, and average the entries that agree with the
// elected sign.
import { z } from 'zod';
import { deltaOf } from '../kernels/combine';
import { countOf, topKMask } from '../kernels/sparsify';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({
  select_topk: numberParam(0, 1, 1, 0.01, 'Fraction of entries kept: those of largest variance across the task vectors (of the entries that vary at all). 1 keeps every entry.'),
}).strict();

/** Below this the models' mean squares count as zero and every model weighs the same (mergekit's guard). */
const MIN_WEIGHT_SUM = 1e-6;
/** The agreeing weights' sum is floored at this before dividing (mergekit's clamp). */
const MIN_DIVISOR = 1e-6;

/** Select: 1 where the variance over models is among the top int(select_topk · #entries with variance ≠ 0). */
export function sceMask(deltas: Float32Array[], selectTopk: number): Uint8Array {
  const n = deltas[0].length;
  const k = deltas.length;
  if (selectTopk <= 0) return new Uint8Array(n);
  if (selectTopk >= 1) return new Uint8Array(n).fill(1);
  const variance = new Float32Array(n);
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let m = 0; m < k; m++) mean += deltas[m][i];
    mean /= k;
    let v = 0;
    for (let m = 0; m < k; m++) v += (deltas[m][i] - mean) ** 2;
    variance[i] = v / k; // the population variance (unbiased=False)
    if (variance[i] !== 0) nonzero++;
  }
  return topKMask(variance, countOf(selectTopk, nonzero));
}

export const sce: MergeMethod<z.infer<typeof params>> = {
  id: 'sce',
  label: 'SCE',
  formula: 'select: keep entries of top int(select_topk·n) variance of δᵢ across models; wᵢ = mean(δᵢ²)/Σⱼmean(δⱼ²); s = sign(Σδᵢ) (+ at 0); θ = θ_b + Σ_{sign δᵢ = s} wᵢδᵢ / Σ_{sign δᵢ = s} wᵢ',
  whenToUse: 'Use it for fine-tunes of one base with no weights to tune: it weighs each by how far it moved and keeps the entries where they differ most.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const base = requireBase(input);
    const n = base.length;
    const k = input.models.length;
    const deltas = input.models.map((m) => deltaOf(m, base));
    if (input.params.select_topk <= 0) {
      // mergekit's mask there keeps the shape of the stacked task vectors, so it returns N copies of the base
      // where one tensor belongs; the evident result is the base.
      input.note?.('select_topk ≤ 0 drops every entry: the result is the base, where mergekit returns a tensor of the wrong shape (one copy of the base per model)');
    }
    if (input.params.select_topk < 1) {
      const mask = sceMask(deltas, input.params.select_topk);
      for (const d of deltas) for (let i = 0; i < n; i++) if (!mask[i]) d[i] = 0;
    }
    // Calculate: each model's weight is the mean square of its (selected) task vector, normalised.
    const ms = deltas.map((d) => { let s = 0; for (let i = 0; i < n; i++) s += d[i] * d[i]; return s / n; });
    const total = ms.reduce((a, b) => a + b, 0);
    const w = Math.abs(total) < MIN_WEIGHT_SUM ? ms.map(() => 1 / k) : ms.map((x) => x / total);
    // Erase: per entry, only the task vectors whose sign agrees with the sign of their plain sum.
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += deltas[m][i];
      const positive = s >= 0;
      let num = 0;
      let den = 0;
      for (let m = 0; m < k; m++) {
        const d = deltas[m][i];
        if (positive ? d > 0 : d < 0) { num += w[m] * d; den += w[m]; }
      }
      out[i] = base[i] + num / Math.max(den, MIN_DIVISOR);
    }
    return out;
  },
};
