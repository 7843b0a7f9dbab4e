// Passthrough: one model's tensor as it is (times its `scale`, when set). With slices it stacks layers of
// different models into one (mergekit's frankenmerges); each tensor comes from exactly one model.
import { z } from 'zod';
import { unboundedParam, paramsOf, type MergeMethod } from './types';

const params = z.object({
  scale: unboundedParam(-2, 2, 1, 0.05, 'Factor the tensor is multiplied by (mergekit\'s per-model scale; 1 = as it is).'),
}).strict();

export const passthrough: MergeMethod<z.infer<typeof params>> = {
  id: 'passthrough',
  label: 'Passthrough',
  formula: 'θ = scale·θ₀  (one model per tensor; with slices, each output layer is one model\'s layer)',
  whenToUse: 'Use it to stack layers of models into a deeper one (a frankenmerge), or to copy a model with some layers scaled.',
  params,
  perModel: ['scale'],
  needsBase: false,
  minModels: 1,
  maxModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  linearForm: (input) => ({ inputs: [input.models[0]], coefs: [paramsOf(input, 0).scale] }),
  kernel(input) {
    const scale = paramsOf(input, 0).scale;
    const out = Float32Array.from(input.models[0]);
    if (scale !== 1) for (let i = 0; i < out.length; i++) out[i] *= scale;
    return out;
  },
};
