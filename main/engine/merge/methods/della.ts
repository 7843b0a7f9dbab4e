// DELLA: magnitude-aware random drops (bigger entries kept more often), rescale, then TIES election.
import { z } from 'zod';
import { deltaOf, tiesCombine } from '../kernels/combine';
import { mulberry32 } from '../kernels/random';
import { dellaDrop } from '../kernels/sparsify';
import { numberParam, requireBase, seedParam, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Average probability of keeping a task-vector entry.'),
  epsilon: numberParam(0, 0.5, 0.1, 0.01, 'Spread of keep probabilities: density ± epsilon from smallest to largest.'),
  lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the merged task vector.'),
  seed: seedParam(),
}).strict();

export const della: MergeMethod<z.infer<typeof params>> = {
  id: 'della',
  label: 'DELLA',
  formula: 'pᵣ = density − ε + 2ε·r/(n−1) for magnitude rank r; δ̃ᵢ = δᵢ·mᵢ/pᵣ, mᵢ ~ Bernoulli(pᵣ); TIES election; θ = θ_b + λ·δ̄',
  whenToUse: 'Use it like DARE when you want large task-vector entries to survive the random drop more often than small ones.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: true,
  usesWeights: true,
  kernel(input) {
    const base = requireBase(input);
    const rand = mulberry32(input.seed);
    const { density, epsilon, lambda } = input.params;
    const dropped = input.models.map((m) => dellaDrop(deltaOf(m, base), density, epsilon, rand));
    return tiesCombine(base, dropped, input.weights, lambda);
  },
};
