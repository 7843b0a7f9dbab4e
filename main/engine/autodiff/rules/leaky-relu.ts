// LeakyRelu: gradient 1 where x > 0, alpha elsewhere.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';

export const leakyReluRule: BackwardRule = {
  opType: 'LeakyRelu',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const alpha = getAttr(node, 'alpha', 0.01);
    const pos = ctx.b.op('Greater', [node.input[0], ctx.b.scalar(0)]);
    return [ctx.b.op('Where', [pos, gy, ctx.b.op('Mul', [gy, ctx.b.scalar(alpha)])])];
  },
};
