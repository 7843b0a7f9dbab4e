// Exponential moving average over an ordered list of checkpoints (seed 002): later ones count more.
import { z } from 'zod';
import { linearCombination } from '../kernels/linear';
import { numberParam, type MergeMethod } from './types';

const params = z.object({ decay: numberParam(0, 1, 0.9, 0.01, 'How much of the running average each step keeps (higher = smoother).') }).strict();

export const ema: MergeMethod<z.infer<typeof params>> = {
  id: 'ema',
  label: 'EMA over checkpoints',
  formula: 'e₁ = θ₁; eₖ = decay·eₖ₋₁ + (1 − decay)·θₖ; θ = e_N  (models in epoch order)',
  whenToUse: 'Use it on the checkpoints of one training run to smooth out the noise of the last epochs, favouring the latest ones.',
  params,
  needsBase: false,
  minModels: 2,
  normalizesWeights: false,
  usesWeights: false,
  // Unrolled, the EMA is a fixed linear combination: d^(N−1) for the first, (1 − d)·d^(N−1−k) for the k-th.
  linearForm: ({ models, params: p }) => {
    const n = models.length;
    const d = p.decay;
    return { inputs: models, coefs: models.map((_, k) => (k === 0 ? d ** (n - 1) : (1 - d) * d ** (n - 1 - k))) };
  },
  kernel(input) {
    const { inputs, coefs } = this.linearForm!(input);
    return linearCombination(inputs, coefs);
  },
};
