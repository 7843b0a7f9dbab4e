// TIES: trim each task vector to its largest entries, elect a sign per entry, average those that agree.
import { z } from 'zod';
import { trimToDensity } from '../kernels/sparsify';
import { lambdaParam, normalizeParam, taskVectorMethod, trimRescaleParam } from './task-params';
import { numberParam, type MergeMethod } from './types';

const params = z.object({
  density: numberParam(0, 1, 0.5, 0.01, 'Fraction of each task vector kept, by magnitude: int(density·n) entries.'),
  lambda: lambdaParam(),
  normalize: normalizeParam(true, true),
  rescale: trimRescaleParam(),
}).strict();

export const ties: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'ties',
  label: 'TIES',
  formula: 'δ̂ᵢ = top int(density·n) of δᵢ; s = sign(Σwᵢδ̂ᵢ) (+ at 0); θ = θ_b + λ·Σ_{sign wᵢδ̂ᵢ = s} wᵢδ̂ᵢ / Σ_{sign wᵢδ̂ᵢ = s} wᵢ  (no division when normalize is false); rescale: l1 scales each δ̂ᵢ by ‖δᵢ‖₁/‖δ̂ᵢ‖₁',
  whenToUse: 'Use it when fine-tunes of one base interfere with each other, so plain task arithmetic cancels their gains.',
  params,
  perModel: ['density'],
  consensus: true,
  sparsifier: () => (d, p, _m, note) => trimToDensity(d, p.density, note, p.rescale),
});
