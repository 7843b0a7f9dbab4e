// Fisher merging (Matena & Raffel 2022, eq. 3): each parameter is the average of the models' values weighted by
// their diagonal Fisher information, measured on each model's data sample before the merge (merge/data-aware/).
// As the authors' merging.py: weights λᵢ multiply the Fishers, a floor keeps the division defined, and with
// favor_first (their favor_target_model, on by default) only the first model's Fisher is floored, so where no
// model carries information the first model's value is kept. Their script also divides each model's Fisher by
// its L2 norm over all parameters (normalize_fishers); the paper's formula does not, so `normalize` is off here.
import { z } from 'zod';
import { booleanParam, choiceParam, numberParam, type KernelInput, type MergeMethod } from './types';

/** How the Fisher information is estimated (merge/data-aware/fisher.ts). */
export const FISHER_ESTIMATES = ['exact', 'empirical'] as const;
export type FisherEstimate = (typeof FISHER_ESTIMATES)[number];

const params = z.object({
  estimate: choiceParam(FISHER_ESTIMATES, 'exact', 'exact: E over the model\'s own prediction, Σ_y p(y|x)·(∂log p(y|x)/∂θ)² (the paper\'s Fisher); empirical: the label\'s (∂log p(label|x)/∂θ)².'),
  floor: numberParam(0, 0.01, 1e-6, 1e-6, 'Lower bound put on the Fisher values before weighting (the authors\' fisher_floor, 1e-6).'),
  favor_first: booleanParam(true, 'Floor only the first model\'s Fisher (the authors\' favor_target_model): where no model has information, keep the first model\'s value; off: floor every model\'s.'),
  normalize: booleanParam(false, 'Divide each model\'s Fisher by its L2 norm over all parameters (the authors\' script does by default; the paper\'s formula does not).'),
}).strict();

type P = z.infer<typeof params>;

/** Σwᵢθᵢ / Σwᵢ, for tensors nothing was measured for (BatchNorm running statistics). */
export function weightedMean(models: Float32Array[], weights: number[]): Float32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Float32Array(models[0].length);
  for (let j = 0; j < out.length; j++) {
    let s = 0;
    for (let i = 0; i < models.length; i++) s += weights[i] * models[i][j];
    out[j] = s / total;
  }
  return out;
}

export function fisherKernel({ models, weights, params: p, statistics, note }: KernelInput<P>): Float32Array {
  const fishers = statistics?.fisher;
  if (!fishers) {
    note?.('not a parameter (no Fisher information): weighted mean');
    return weightedMean(models, weights);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const coefs = weights.map((w, i) => (w / total) / (p.normalize ? statistics.fisherNorms?.[i] || 1 : 1));
  const out = new Float32Array(models[0].length);
  const n = models.length;
  for (let j = 0; j < out.length; j++) {
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) {
      let f = fishers[i][j];
      if (!p.favor_first || i === 0) f = Math.max(f, p.floor);
      const t = coefs[i] * f;
      den += t;
      num += t * models[i][j];
    }
    if (den > 0) out[j] = num / den;
    else { // floor 0 and no information anywhere: the weighted mean
      let s = 0;
      for (let i = 0; i < n; i++) s += weights[i] * models[i][j];
      out[j] = s / total;
    }
  }
  return out;
}

export const fisher: MergeMethod<P> = {
  id: 'fisher',
  label: 'Fisher merging',
  formula: 'θ = Σ wᵢFᵢθᵢ / Σ wᵢFᵢ, Fᵢ = diagonal Fisher of model i on its data sample (floored at floor)',
  whenToUse: 'Use it when each model has its own task or data and you can give a sample of it: parameters a model relies on keep that model\'s value.',
  params,
  needsBase: false,
  minModels: 2,
  normalizesWeights: true,
  usesWeights: true,
  data: 'fisher',
  statisticsParams: ['estimate'],
  kernel: fisherKernel,
};
