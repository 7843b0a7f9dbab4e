// Plain average of N models (seed 000): the starting point for every comparison.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import type { MergeMethod } from './types';

export const mean: MergeMethod<Record<string, never>> = {
  id: 'mean',
  label: 'Mean',
  formula: 'θ = Σθᵢ / N',
  whenToUse: 'Use it for models fine-tuned from the same start, or checkpoints of one run, when no model should count more than another.',
  params: z.object({}).strict() as never,
  needsBase: false,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  linearForm: ({ models }) => ({ inputs: models, coefs: models.map(() => 1 / models.length) }),
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
