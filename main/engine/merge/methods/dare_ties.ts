// DARE + TIES: random drop and rescale, then TIES sign election.
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { dareDrop } from '../kernels/sparsify';
import { dareParams } from './dare_linear';
import type { MergeMethod } from './types';
import { taskVectorMethod } from './task-params';

// mergekit's dare_ties does not normalise by default (its ties does).
const params = dareParams(false, true);

export const dareTies: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'dare_ties',
  label: 'DARE (TIES)',
  formula: 'δ̃ᵢ as in DARE (linear); then s = sign(Σwᵢδ̃ᵢ) (+ at 0); θ = θ_b + λ·Σ_{sign wᵢδ̃ᵢ = s} wᵢδ̃ᵢ  (÷ the agreeing Σwᵢ when normalize)',
  whenToUse: 'Use it like TIES when the fine-tunes have large, redundant task vectors; random drops reduce interference further.',
  params,
  perModel: ['density'],
  consensus: true,
  sparsifier: (input) => { const rand = mulberry32(input.seed); return (d, p) => dareDrop(d, p.density, p.rescale, rand); },
});
