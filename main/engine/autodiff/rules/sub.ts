// Sub with broadcasting: dA = gy, dB = −gy, each summed to its input's shape.
import type { BackwardRule } from '../types';
import { unbroadcast } from './util';

export const subRule: BackwardRule = {
  opType: 'Sub',
  backward(node, [gy], needs, ctx) {
    const sy = ctx.shape(node.output[0]);
    const [a, b] = node.input;
    const ga = gy && needs[0] ? unbroadcast(ctx, gy, sy, ctx.shape(a)) : undefined;
    const gb = gy && needs[1] ? unbroadcast(ctx, ctx.b.op('Neg', [gy]), sy, ctx.shape(b)) : undefined;
    return [ga, gb];
  },
};
