// LogSoftmax: dx = gy − softmax(x)·Σ gy along the axis.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';

export const logSoftmaxRule: BackwardRule = {
  opType: 'LogSoftmax',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const axis = getAttr(node, 'axis', -1);
    const sum = ctx.b.op('ReduceSum', [gy, ctx.b.constI64([axis])], { keepdims: 1 });
    const p = ctx.b.op('Exp', [node.output[0]]);
    return [ctx.b.op('Sub', [gy, ctx.b.op('Mul', [p, sum])])];
  },
};
