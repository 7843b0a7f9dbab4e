// GlobalAveragePool: every input position gets gy / (H·W).
import type { BackwardRule } from '../types';
import { numel } from './util';

export const globalAveragePoolRule: BackwardRule = {
  opType: 'GlobalAveragePool',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const xs = ctx.shape(node.input[0]);
    const scaled = ctx.b.op('Mul', [gy, ctx.b.scalar(1 / numel(xs.slice(2)))]);
    return [ctx.b.op('Expand', [scaled, ctx.b.constI64(xs)])];
  },
};
