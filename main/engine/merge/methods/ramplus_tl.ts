// mergekit's RAM+ (tensor-local): RAM, with each model's unique changes scaled up by how much of what it
// changed it shares with others, 1 + r·min(shared/unique, alpha), counted within the tensor.
import { z } from 'zod';
import { epsilonParam, ramCombine, ramVectors } from './ram';
import { numberParam, requireBase, type MergeMethod } from './types';

const params = z.object({
  r: numberParam(0, 10, 0.1, 0.01, 'Strength of the boost of each model\'s unique changes.'),
  alpha: numberParam(0, 10, 0.2, 0.01, 'Cap on the shared/unique ratio that sets the boost.'),
  epsilon: epsilonParam(),
}).strict();

export const ramplusTl: MergeMethod<z.infer<typeof params>> = {
  id: 'ramplus_tl',
  label: 'RAM+ (tensor-local)',
  formula: 'as RAM, with δᵢ where cⱼ = 1 times λᵢ = 1 + r·clamp(sharedᵢ/max(uniqueᵢ, ε), 0, alpha): sharedᵢ, uniqueᵢ = model i\'s kept entries with cⱼ > 1, = 1 in this tensor',
  whenToUse: 'Use it as RAM, when the models also overlap: a model that shares much of what it changed gets its unique changes slightly boosted.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const v = ramVectors(input);
    const { r, alpha, epsilon } = input.params;
    const eps = Math.fround(epsilon);
    const scale = v.deltas.map((d) => {
      let shared = 0;
      let unique = 0;
      for (let i = 0; i < d.length; i++) {
        if (!(Math.abs(d[i]) > eps)) continue;
        if (v.counts[i] > 1) shared++;
        else unique++;
      }
      // mergekit divides by the unique count floored at epsilon (so no unique entry gives alpha).
      const rho = shared / Math.max(unique, epsilon);
      return 1 + r * Math.min(alpha, Math.max(0, rho));
    });
    return ramCombine(requireBase(input), v, epsilon, scale);
  },
};
