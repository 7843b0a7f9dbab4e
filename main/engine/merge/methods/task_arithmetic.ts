// Task arithmetic: add the weighted sum of task vectors to the base.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({ lambda: numberParam(0, 2, 1, 0.05, 'λ: scale of the summed task vectors.') }).strict();

export const taskArithmetic: MergeMethod<z.infer<typeof params>> = {
  id: 'task_arithmetic',
  label: 'Task arithmetic',
  formula: 'θ = θ_b + λ·Σwᵢδᵢ',
  whenToUse: 'Use it to combine several fine-tunes of one base model, each adding its own skill.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: true,
  linearForm(input) {
    // θ_b + λΣwᵢ(θᵢ − θ_b) = (1 − λΣwᵢ)·θ_b + Σλwᵢ·θᵢ: one pass, no delta tensors.
    const base = requireBase(input);
    const coefs = input.weights.map((w) => input.params.lambda * w);
    return { inputs: [...input.models, base], coefs: [...coefs, 1 - coefs.reduce((a, b) => a + b, 0)] };
  },
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
