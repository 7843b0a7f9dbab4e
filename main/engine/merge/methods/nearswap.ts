// mergekit's NearSwap: take the other model's value where it is close to the base's, keep the base's where
// they are far apart, with a smooth blend between (weight t/|θ₁ − θ_b|, at most 1).
import { z } from 'zod';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({
  t: numberParam(0, 1, 0.0001, 0.0001, 'Distance scale: entries closer than t to the base take the other model\'s value; farther ones move t/|difference| of the way. mergekit requires it.'),
}).strict();

/** |θ₁ − θ_b| is floored at this before dividing (mergekit's clamp). */
const MIN_DIFF = 1e-6;

export const nearswap: MergeMethod<z.infer<typeof params>> = {
  id: 'nearswap',
  label: 'NearSwap',
  formula: 'w = clamp(t / max(|θ₁ − θ_b|, 1e-6), 0, 1); θ = w·θ₁ + (1 − w)·θ_b',
  whenToUse: 'Use it to move a base towards one other model only where the two already nearly agree, as mergekit\'s nearswap does.',
  params,
  needsBase: true,
  minModels: 1,
  maxModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const a = requireBase(input);
    const b = input.models[0];
    const t = input.params.t;
    const out = new Float32Array(a.length);
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(Math.fround(a[i] - b[i]));
      const w = Math.min(1, Math.max(0, t / Math.max(diff, MIN_DIFF)));
      out[i] = w * b[i] + (1 - w) * a[i];
    }
    return out;
  },
};
