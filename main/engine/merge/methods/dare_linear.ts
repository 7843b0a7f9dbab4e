// DARE + linear: randomly drop task-vector entries, rescale the survivors, sum.
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { dareDrop } from '../kernels/sparsify';
import { lambdaParam, normalizeParam, rescaleParam, taskVectorMethod } from './task-params';
import { numberParam, seedParam, type MergeMethod } from './types';

export const dareParams = (normalize: boolean, consensus: boolean) => z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Probability of keeping each task-vector entry.'),
  lambda: lambdaParam(consensus ? 'merged' : 'summed'),
  normalize: normalizeParam(normalize, consensus),
  rescale: rescaleParam(),
  seed: seedParam(),
}).strict();

const params = dareParams(false, false);

export const dareLinear: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'dare_linear',
  label: 'DARE (linear)',
  formula: 'δ̃ᵢ = δᵢ·mᵢ·‖δᵢ‖₁/‖δᵢ·mᵢ‖₁, mᵢ ~ Bernoulli(density) (rescale: inverse uses 1/density); θ = θ_b + λ·Σwᵢδ̃ᵢ  (÷Σwᵢ when normalize)',
  whenToUse: 'Use it to add several fine-tunes to a base with less interference than task arithmetic, at the cost of some randomness.',
  params,
  perModel: ['density'],
  consensus: false,
  sparsifier: (input) => { const rand = mulberry32(input.seed); return (d, p) => dareDrop(d, p.density, p.rescale, rand); },
});
