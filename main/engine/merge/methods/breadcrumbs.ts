// Model breadcrumbs: drop both the largest outliers and the small noise of each task vector, then sum.
import { z } from 'zod';
import { breadcrumbsTrim } from '../kernels/sparsify';
import { lambdaParam, normalizeParam, taskVectorMethod, trimRescaleParam } from './task-params';
import { numberParam, type MergeMethod } from './types';

export const breadcrumbsParams = (normalize: boolean, consensus: boolean) => z.object({
  density: numberParam(0, 1, 0.9, 0.01, 'Fraction of each task vector kept: int(density·n) entries, below the top gamma.'),
  gamma: numberParam(0, 1, 0.01, 0.005, 'Fraction of the largest-magnitude entries dropped as outliers: int(gamma·n).'),
  lambda: lambdaParam(consensus ? 'merged' : 'summed'),
  normalize: normalizeParam(normalize, consensus),
  rescale: trimRescaleParam(),
}).strict();

const params = breadcrumbsParams(false, false);

export const breadcrumbs: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'breadcrumbs',
  label: 'Model breadcrumbs',
  formula: 'δ̂ᵢ = δᵢ with the top int(gamma·n) dropped and int(density·n) kept below them (by |δ|); θ = θ_b + λ·Σwᵢδ̂ᵢ  (÷Σwᵢ when normalize)',
  whenToUse: 'Use it when a few huge task-vector entries dominate a merge and small ones are mostly noise.',
  params,
  perModel: ['density', 'gamma'],
  consensus: false,
  sparsifier: () => (d, p, _m, note) => breadcrumbsTrim(d, p.density, p.gamma, note, p.rescale),
});
