// Sum of models (seed 001 literally): Σwᵢθᵢ, with every weight 1 by default.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import type { MergeMethod } from './types';

export const sum: MergeMethod<Record<string, never>> = {
  id: 'sum',
  label: 'Sum',
  formula: 'θ = Σwᵢθᵢ  (wᵢ = 1 unless set)',
  whenToUse: 'Use it to reproduce a "sum the weights" experiment; it usually needs rescaling to work as a model.',
  params: z.object({}).strict() as never,
  needsBase: false,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: true,
  linearForm: ({ models, weights }) => ({ inputs: models, coefs: weights }),
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
