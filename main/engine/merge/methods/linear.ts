// mergekit's `linear` under its own name: Σwᵢθᵢ, divided by Σwᵢ when `normalize` (mergekit's default true).
// The same combination as `weighted` (normalize) or `sum` (not), so a mergekit config reads as written.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import { booleanParam, type MergeMethod } from './types';

const params = z.object({
  normalize: booleanParam(true, 'Divide the weighted sum by the sum of the weights (a weighted average); off: the weighted sum itself.'),
}).strict();

export const linear: MergeMethod<z.infer<typeof params>> = {
  id: 'linear',
  label: 'Linear (mergekit)',
  formula: 'θ = Σwᵢθᵢ / Σwᵢ  (Σwᵢθᵢ when normalize is false)',
  whenToUse: 'Use it to run a mergekit linear config as written: a weighted average, or with normalize off a weighted sum.',
  params,
  needsBase: false,
  minModels: 1,
  // Only with normalize (the default): preflight and plan skip the zero-sum check when normalize is false.
  normalizesWeights: true,
  usesWeights: true,
  linearForm: ({ models, weights, params: p }) => {
    const total = p.normalize ? weights.reduce((a, b) => a + b, 0) : 1;
    return { inputs: models, coefs: weights.map((w) => w / total) };
  },
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
