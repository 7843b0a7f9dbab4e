// Add difference: move model A by what B learned relative to C.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import { numberParam, type MergeMethod } from './types';

const params = z.object({ multiplier: numberParam(-2, 2, 1, 0.05, 'M: how much of (θ_B − θ_C) to add to θ_A.') }).strict();

export const addDifference: MergeMethod<z.infer<typeof params>> = {
  id: 'add_difference',
  label: 'Add difference',
  formula: 'θ = θ_A + M·(θ_B − θ_C)  (models A, B, C in order)',
  whenToUse: 'Use it to transplant what model B learned on top of C into model A, which shares C as an ancestor.',
  params,
  needsBase: false,
  minModels: 3,
  maxModels: 3,
  normalizesWeights: false,
  usesWeights: false,
  linearForm: ({ models, params: p }) => ({ inputs: models, coefs: [1, p.multiplier, -p.multiplier] }),
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
