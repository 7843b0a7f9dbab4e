// Weighted average: some models count more than others.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import type { MergeMethod } from './types';

export const weighted: MergeMethod<Record<string, never>> = {
  id: 'weighted',
  label: 'Weighted average',
  formula: 'θ = Σwᵢθᵢ / Σwᵢ',
  whenToUse: 'Use it when one model is better or more relevant and should pull the average towards itself.',
  params: z.object({}).strict() as never,
  needsBase: false,
  minModels: 2,
  normalizesWeights: true,
  usesWeights: true,
  linearForm: ({ models, weights }) => {
    const total = weights.reduce((a, b) => a + b, 0);
    return { inputs: models, coefs: weights.map((w) => w / total) };
  },
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
