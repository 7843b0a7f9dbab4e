// Model breadcrumbs with the TIES sign election (mergekit's breadcrumbs_ties).
import { z } from 'zod';
import { breadcrumbsTrim } from '../kernels/sparsify';
import { breadcrumbsParams } from './breadcrumbs';
import type { MergeMethod } from './types';
import { taskVectorMethod } from './task-params';

const params = breadcrumbsParams(false, true);

export const breadcrumbsTies: MergeMethod<z.infer<typeof params>> = taskVectorMethod({
  id: 'breadcrumbs_ties',
  label: 'Model breadcrumbs (TIES)',
  formula: 'δ̂ᵢ as in breadcrumbs; s = sign(Σwᵢδ̂ᵢ) (+ at 0); θ = θ_b + λ·Σ_{sign wᵢδ̂ᵢ = s} wᵢδ̂ᵢ  (÷ the agreeing Σwᵢ when normalize)',
  whenToUse: 'Use it like breadcrumbs when the fine-tunes also pull some entries in opposite directions.',
  params,
  perModel: ['density', 'gamma'],
  consensus: true,
  sparsifier: () => (d, p, _m, note) => breadcrumbsTrim(d, p.density, p.gamma, note, p.rescale),
});
