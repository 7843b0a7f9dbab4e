// mergekit's RAM (Reinforced Agent Merging): an entry only one model changed takes that change whole; an
// entry several changed takes the mean of their changes (plain averaging would dilute the unique ones).
import { z } from 'zod';
import { deltaOf } from '../kernels/combine';
import { numberParam, requireBase, type KernelInput, type MergeMethod } from './types';

export const epsilonParam = () => numberParam(0, 0.1, 1e-5, 1e-6, 'A task-vector entry counts as changed when its magnitude exceeds this.');

const params = z.object({ epsilon: epsilonParam() }).strict();

export interface RamVectors {
  deltas: Float32Array[];
  /** Per entry: how many models changed it (|δᵢ| > epsilon). */
  counts: Uint32Array;
}

/** The task vectors and, per entry, how many of them exceed epsilon (compared in f32, as mergekit). */
export function ramVectors(input: KernelInput<{ epsilon: number }>): RamVectors {
  const base = requireBase(input);
  const deltas = input.models.map((m) => deltaOf(m, base));
  const eps = Math.fround(input.params.epsilon);
  const counts = new Uint32Array(base.length);
  for (const d of deltas) for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) > eps) counts[i]++;
  return { deltas, counts };
}

/** θ_b + Σᵢ δᵢ·scaleᵢ where only δᵢ is changed and δᵢ/count where several are (0 where none is). */
export function ramCombine(base: Float32Array, { deltas, counts }: RamVectors, epsilon: number, uniqueScale: readonly number[]): Float32Array {
  const eps = Math.fround(epsilon);
  const out = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const c = counts[i];
    let s = 0;
    for (let m = 0; m < deltas.length; m++) {
      const d = deltas[m][i];
      if (Math.abs(d) > eps) s += c === 1 ? d * uniqueScale[m] : d / c;
    }
    out[i] = base[i] + s;
  }
  return out;
}

export const ram: MergeMethod<z.infer<typeof params>> = {
  id: 'ram',
  label: 'RAM',
  formula: 'δᵢ kept where |δᵢ| > ε; cⱼ = #models with entry j kept; θ = θ_b + Σᵢ δᵢ/cⱼ over the kept entries (δᵢ whole where cⱼ = 1)',
  whenToUse: 'Use it for fine-tunes of one base that each changed different parameters: their unique changes are kept whole rather than averaged away.',
  params,
  needsBase: true,
  minModels: 1,
  normalizesWeights: false,
  usesWeights: false,
  kernel(input) {
    const v = ramVectors(input);
    return ramCombine(requireBase(input), v, input.params.epsilon, input.models.map(() => 1));
  },
};
