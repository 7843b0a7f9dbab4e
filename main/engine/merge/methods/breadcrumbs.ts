// Model breadcrumbs: drop both the largest outliers and the small noise of each task vector, then sum.
import { z } from 'zod';
import { addWeightedSum, deltaOf } from '../kernels/combine';
import { breadcrumbsTrim } from '../kernels/sparsify';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0, 1, 0.9, 0.01, 'Fraction of each task vector kept (after the top gamma).'),
  gamma: numberParam(0, 1, 0.01, 0.005, 'Fraction of the largest-magnitude entries dropped as outliers.'),
  lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the summed task vectors.'),
}).strict().refine((p) => p.density + p.gamma <= 1, { message: 'density + gamma must be at most 1', path: ['gamma'] });

export const breadcrumbs: MergeMethod<z.infer<typeof params>> = {
  id: 'breadcrumbs',
  label: 'Model breadcrumbs',
  formula: 'δ̂ᵢ = δᵢ with the top gamma and the bottom 1 − density − gamma (by |δ|) set to 0; θ = θ_b + λ·Σwᵢδ̂ᵢ',
  whenToUse: 'Use it when a few huge task-vector entries dominate a merge and small ones are mostly noise.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: true,
  kernel(input) {
    const base = requireBase(input);
    const trimmed = input.models.map((m) => breadcrumbsTrim(deltaOf(m, base), input.params.density, input.params.gamma));
    return addWeightedSum(base, trimmed, input.weights, input.params.lambda);
  },
};
