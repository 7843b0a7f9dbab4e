// Task arithmetic: add the weighted sum of task vectors to the base.
import { z } from 'zod';
import { NORMALIZE_MIN_SUM } from '../kernels/combine';
import { linearCombination } from '../kernels/linear';
import { lambdaParam, normalizeParam } from './task-params';
import { requireBase, type MergeMethod } from './types';

const params = z.object({ lambda: lambdaParam('summed'), normalize: normalizeParam(false, false) }).strict();

export const taskArithmetic: MergeMethod<z.infer<typeof params>> = {
  id: 'task_arithmetic',
  label: 'Task arithmetic',
  formula: 'θ = θ_b + λ·Σwᵢδᵢ  (÷Σwᵢ when normalize)',
  whenToUse: 'Use it to combine several fine-tunes of one base model, each adding its own skill.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: true,
  linearForm(input) {
    // θ_b + λΣwᵢ(θᵢ − θ_b)/d = (1 − Σcᵢ)·θ_b + Σcᵢ·θᵢ with cᵢ = λwᵢ/d: one pass, no delta tensors.
    const base = requireBase(input);
    const sum = input.weights.reduce((a, b) => a + b, 0);
    const div = input.params.normalize && Math.abs(sum) >= NORMALIZE_MIN_SUM ? sum : 1;
    const coefs = input.weights.map((w) => (input.params.lambda * w) / div);
    return { inputs: [...input.models, base], coefs: [...coefs, 1 - coefs.reduce((a, b) => a + b, 0)] };
  },
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
