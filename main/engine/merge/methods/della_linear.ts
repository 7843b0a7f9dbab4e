// DELLA's magnitude-aware drops followed by a plain weighted sum (mergekit's della_linear).
import { z } from 'zod';
import { mulberry32 } from '../kernels/random';
import { dellaDrop } from '../kernels/sparsify';
import { dellaParams } from './della';
import type { MergeMethod } from './types';
import { taskVectorMethod } from './task-params';

const params = dellaParams(false, false);

export const dellaLinear: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'della_linear',
  label: 'DELLA (linear)',
  formula: 'δ̃ᵢ as in DELLA; θ = θ_b + λ·Σwᵢδ̃ᵢ  (÷Σwᵢ when normalize)',
  whenToUse: 'Use it like DARE (linear) when large task-vector entries should survive the random drop more often than small ones.',
  params,
  perModel: ['density', 'epsilon'],
  consensus: false,
  sparsifier: (input) => { const rand = mulberry32(input.seed); return (d, p, _m, note) => dellaDrop(d, input.shape, p.density, p.epsilon, p.rescale, rand, note); },
});
