// DARE + TIES: random drop and rescale, then TIES sign election.
import { z } from 'zod';
import { deltaOf, tiesCombine } from '../kernels/combine';
import { mulberry32 } from '../kernels/random';
import { dareDrop } from '../kernels/sparsify';
import { numberParam, requireBase, seedParam, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Probability of keeping each task-vector entry.'),
  lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the merged task vector.'),
  seed: seedParam(),
}).strict();

export const dareTies: MergeMethod<z.infer<typeof params>> = {
  id: 'dare_ties',
  label: 'DARE (TIES)',
  formula: 'δ̃ᵢ = δᵢ·mᵢ/density, mᵢ ~ Bernoulli(density); then TIES sign election and agreeing average; θ = θ_b + λ·δ̄',
  whenToUse: 'Use it like TIES when the fine-tunes have large, redundant task vectors; random drops reduce interference further.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: true,
  usesWeights: true,
  kernel(input) {
    const base = requireBase(input);
    const rand = mulberry32(input.seed);
    const dropped = input.models.map((m) => dareDrop(deltaOf(m, base), input.params.density, rand));
    return tiesCombine(base, dropped, input.weights, input.params.lambda);
  },
};
