// DARE + linear: randomly drop task-vector entries, rescale the survivors, sum.
import { z } from 'zod';
import { addWeightedSum, deltaOf } from '../kernels/combine';
import { mulberry32 } from '../kernels/random';
import { dareDrop } from '../kernels/sparsify';
import { numberParam, requireBase, seedParam, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Probability of keeping each task-vector entry.'),
  lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the summed task vectors.'),
  seed: seedParam(),
}).strict();

export const dareLinear: MergeMethod<z.infer<typeof params>> = {
  id: 'dare_linear',
  label: 'DARE (linear)',
  formula: 'δ̃ᵢ = δᵢ·mᵢ/density, mᵢ ~ Bernoulli(density); θ = θ_b + λ·Σwᵢδ̃ᵢ',
  whenToUse: 'Use it to add several fine-tunes to a base with less interference than task arithmetic, at the cost of some randomness.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: true,
  kernel(input) {
    const base = requireBase(input);
    const rand = mulberry32(input.seed);
    const dropped = input.models.map((m) => dareDrop(deltaOf(m, base), input.params.density, rand));
    return addWeightedSum(base, dropped, input.weights, input.params.lambda);
  },
};
