// DARE + linear: randomly drop task-vector entries, rescale the survivors, sum.
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { dareDrop } from '../kernels/sparsify';
import { mergeTaskVectors } from '../kernels/task-vectors';
import { lambdaParam, normalizeParam, rescaleParam } from './task-params';
import { numberParam, seedParam, type MergeMethod } from './types';

export const dareParams = (normalize: boolean, consensus: boolean) => z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Probability of keeping each task-vector entry.'),
  lambda: lambdaParam(consensus ? 'merged' : 'summed'),
  normalize: normalizeParam(normalize, consensus),
  rescale: rescaleParam(),
  seed: seedParam(),
}).strict();

const params = dareParams(false, false);

export const dareLinear: MergeMethod<z.infer<typeof params>> = {
  id: 'dare_linear',
  label: 'DARE (linear)',
  formula: 'δ̃ᵢ = δᵢ·mᵢ·‖δᵢ‖₁/‖δᵢ·mᵢ‖₁, mᵢ ~ Bernoulli(density) (rescale: inverse uses 1/density); θ = θ_b + λ·Σwᵢδ̃ᵢ  (÷Σwᵢ when normalize)',
  whenToUse: 'Use it to add several fine-tunes to a base with less interference than task arithmetic, at the cost of some randomness.',
  params,
  perModel: ['density'],
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: true,
  kernel(input) {
    const rand = mulberry32(input.seed);
    return mergeTaskVectors(input, { consensus: false, sparsify: (d, p) => dareDrop(d, p.density, p.rescale, rand) });
  },
};
