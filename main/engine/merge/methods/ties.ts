// TIES: trim each task vector to its largest entries, elect a sign per entry, average those that agree.
import { z } from 'zod';
import { deltaOf, tiesCombine } from '../kernels/combine';
import { trimToDensity } from '../kernels/sparsify';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0, 1, 0.5, 0.01, 'Fraction of each task vector kept, by magnitude.'),
  lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the merged task vector.'),
}).strict();

export const ties: MergeMethod<z.infer<typeof params>> = {
  id: 'ties',
  label: 'TIES',
  formula: 'δ̂ᵢ = top-density(δᵢ); s = sign(Σwᵢδ̂ᵢ); θ = θ_b + λ·Σ_{sign δ̂ᵢ = s} wᵢδ̂ᵢ / Σ_{sign δ̂ᵢ = s} wᵢ',
  whenToUse: 'Use it when fine-tunes of one base interfere with each other, so plain task arithmetic cancels their gains.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: true,
  usesWeights: true,
  kernel(input) {
    const base = requireBase(input);
    const trimmed = input.models.map((m) => trimToDensity(deltaOf(m, base), input.params.density));
    return tiesCombine(base, trimmed, input.weights, input.params.lambda);
  },
};
