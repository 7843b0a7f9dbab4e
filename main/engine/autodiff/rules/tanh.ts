// Tanh: dy/dx = 1 − y².
import type { BackwardRule } from '../types';

export const tanhRule: BackwardRule = {
  opType: 'Tanh',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const y = node.output[0];
    const d = ctx.b.op('Sub', [ctx.b.scalar(1), ctx.b.op('Mul', [y, y])]);
    return [ctx.b.op('Mul', [gy, d])];
  },
};
