// Sigmoid: dy/dx = y·(1 − y).
import type { BackwardRule } from '../types';

export const sigmoidRule: BackwardRule = {
  opType: 'Sigmoid',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const y = node.output[0];
    const d = ctx.b.op('Mul', [y, ctx.b.op('Sub', [ctx.b.scalar(1), y])]);
    return [ctx.b.op('Mul', [gy, d])];
  },
};
