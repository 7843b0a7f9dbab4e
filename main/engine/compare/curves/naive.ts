// The naive curve: θ(α) = (1 − α)·θ_A + α·θ_B with the weights as they are.
import { interpolationCurve } from '../../evaluate/curve';
import { sameLayout } from '../../models/load-net';
import type { CurveKind } from './types';

export const naiveCurve: CurveKind = {
  id: 'naive',
  label: 'naive',
  description: 'the straight line between the two models\' weights, units in the order each model has them',
  async compute(a, b, data, options, ctx) {
    const problem = sameLayout(a, b);
    if (problem) throw new Error(`no interpolation curve: the two models have different tensors (${problem}); pick two models of one architecture`);
    return interpolationCurve(a.graph, a.state, b.state, data, options, ctx);
  },
};
