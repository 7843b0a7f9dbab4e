// DELLA: magnitude-aware random drops (bigger entries of a row kept more often), rescale, then TIES election.
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { dellaDrop, dellaRangeError } from '../kernels/sparsify';
import { lambdaParam, normalizeParam, rescaleParam, taskVectorMethod } from './task-params';
import { numberParam, seedParam, type MergeMethod } from './types';

export const dellaParams = (normalize: boolean, consensus: boolean) => z.object({
  density: numberParam(0.01, 1, 0.5, 0.01, 'Average probability of keeping a task-vector entry.'),
  epsilon: numberParam(0, 0.5, 0.15, 0.01, 'Spread of keep probabilities: density ± epsilon from the smallest to the largest entry of a row.'),
  lambda: lambdaParam(consensus ? 'merged' : 'summed'),
  normalize: normalizeParam(normalize, consensus),
  rescale: rescaleParam(),
  seed: seedParam(),
}).strict().superRefine((p, ctx) => {
  const refused = dellaRangeError(p.density, p.epsilon);
  if (refused) ctx.addIssue({ code: 'custom', path: ['epsilon'], message: refused });
});

const params = dellaParams(true, true);

export const della: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'della',
  label: 'DELLA',
  formula: 'pᵣ = density − ε + 2ε·r/(n−1) for magnitude rank r within its row; δ̃ᵢ = δᵢ·mᵢ·‖δᵢ‖₁/‖δᵢ·mᵢ‖₁, mᵢ ~ Bernoulli(pᵣ) (rescale: inverse uses 1/pᵣ); TIES election; θ = θ_b + λ·δ̄',
  whenToUse: 'Use it like DARE when you want large task-vector entries to survive the random drop more often than small ones.',
  params,
  perModel: ['density', 'epsilon'],
  consensus: true,
  sparsifier: (input) => { const rand = mulberry32(input.seed); return (d, p, _m, note) => dellaDrop(d, input.shape, p.density, p.epsilon, p.rescale, rand, note); },
});
