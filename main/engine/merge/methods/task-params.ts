// Parameters the task-vector methods share, with mergekit's names and, per method, mergekit's defaults.
import { RESCALES, TRIM_RESCALES } from '../kernels/sparsify';
import { mergeTaskVectors, type TaskVectorParams, type TaskVectorSteps } from '../kernels/task-vectors';
import { booleanParam, choiceParam, unboundedParam, type KernelInput, type MergeMethod, type Params } from './types';

/** Any number, as in mergekit (a negative λ subtracts the task vector); the slider spans [−2, 2]. */
export const lambdaParam = (what = 'merged') => unboundedParam(-2, 2, 1, 0.05, `λ: scale of the ${what} task vector (negative: subtract it).`);

/** mergekit's `normalize`: divide by the sum of the (agreeing) weights. Its default differs per method. */
export const normalizeParam = (def: boolean, consensus: boolean) => booleanParam(def, consensus
  ? 'Divide each entry by the sum of the weights of the models that agree with the elected sign.'
  : 'Divide the weighted sum of task vectors by the sum of the weights.');

/** mergekit's `rescale` (true = l1), and the papers' 1/p as `inverse`. */
export const rescaleParam = () => choiceParam(RESCALES, 'l1',
  'How kept entries are scaled back up: l1 = one scalar per tensor, ‖δ‖₁/‖kept δ‖₁ (mergekit); inverse = each by 1/p (the paper); none.');

/** mergekit's `rescale` on the magnitude trims (TIES, breadcrumbs): false by default, true = the L1 rescale. */
export const trimRescaleParam = () => choiceParam(TRIM_RESCALES, 'none',
  'How kept entries are scaled back up after the trim: none (mergekit\'s default), or l1 = one scalar per tensor, ‖δ‖₁/‖kept δ‖₁ (mergekit\'s rescale: true).');

/**
 * A method that sparsifies each task vector and then sums them (consensus false) or runs the TIES sign election
 * (true): what TIES, DARE, DELLA and breadcrumbs share; each method file gives its names, formula and sparsifier.
 * `sparsifier` is called once per tensor (a seeded method makes its random stream there).
 */
export function taskVectorMethod<P extends TaskVectorParams & Params>(def: Pick<MergeMethod<P>, 'id' | 'label' | 'formula' | 'whenToUse' | 'params' | 'perModel'> & {
  consensus: boolean;
  sparsifier: (input: KernelInput<P>) => NonNullable<TaskVectorSteps<P>['sparsify']>;
}): MergeMethod<P> {
  const { consensus, sparsifier, ...names } = def;
  return {
    ...names,
    needsBase: true,
    minModels: 1,
    normalizesWeights: false,
    usesWeights: true,
    kernel: (input) => mergeTaskVectors(input, { consensus, sparsify: sparsifier(input) }),
  };
}
