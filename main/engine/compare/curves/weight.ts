// The weight-matched curve: B's hidden units permuted onto A's by Git Re-Basin's weight matching (align/), then
// θ(α) = (1 − α)·θ_A + α·π(θ_B). Data-free, so it needs nothing beyond the two models.
import { alignNets } from '../../align';
import { interpolationCurve } from '../../evaluate/curve';
import type { CurveKind } from './types';

export const weightCurve: CurveKind = {
  id: 'weight',
  label: 'weight-matched',
  description: 'the straight line after permuting the second model\'s hidden units onto the first\'s (Git Re-Basin weight matching)',
  async compute(a, b, data, options, ctx) {
    const { states } = await alignNets(a, [b], { method: 'weight', threads: options.threads }, ctx);
    return interpolationCurve(a.graph, a.state, states[0], data, options, ctx);
  },
};
