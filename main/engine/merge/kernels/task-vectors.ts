// mergekit's generalized task arithmetic, which task_arithmetic, TIES, DARE, breadcrumbs and DELLA all are:
// task vectors δᵢ = θᵢ − θ_b, each sparsified with its own model's parameters, then combined either by the
// TIES sign election or by a plain weighted sum, optionally normalised, scaled by λ and added to the base.
import { requireBase, paramsOf, type KernelInput } from '../methods/types';
import { deltaOf, linearCombine, tiesCombine } from './combine';

export interface TaskVectorParams {
  lambda: number;
  normalize: boolean;
}

export interface TaskVectorSteps<P> {
  /** Sparsifies model m's delta in place (or returns it as is). */
  sparsify?(delta: Float32Array, params: P, m: number, note: (message: string) => void): Float32Array;
  /** TIES sign election (true) or a plain weighted sum (false). */
  consensus: boolean;
}

export function mergeTaskVectors<P extends TaskVectorParams>(input: KernelInput<P>, steps: TaskVectorSteps<P>): Float32Array {
  const base = requireBase(input);
  const noteFor = (m: number) => (message: string) => input.note?.(`model ${m}: ${message}`);
  const deltas = input.models.map((model, m) => {
    const delta = deltaOf(model, base);
    return steps.sparsify ? steps.sparsify(delta, paramsOf(input, m), m, noteFor(m)) : delta;
  });
  const { lambda, normalize } = input.params;
  return steps.consensus
    ? tiesCombine(base, deltas, input.weights, lambda, normalize)
    : linearCombine(base, deltas, input.weights, lambda, normalize);
}
