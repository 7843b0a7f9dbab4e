// Relu: the gradient passes where the output is positive.
import type { BackwardRule } from '../types';

export const reluRule: BackwardRule = {
  opType: 'Relu',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const pos = ctx.b.op('Greater', [node.output[0], ctx.b.scalar(0)]);
    return [ctx.b.op('Where', [pos, gy, ctx.b.scalar(0)])];
  },
};
