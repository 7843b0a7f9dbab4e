// Concat: each input gets its slice of the gradient along the axis.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';

export const concatRule: BackwardRule = {
  opType: 'Concat',
  backward(node, [gy], needs, ctx) {
    const rank = ctx.shape(node.output[0]).length;
    let axis = getAttr(node, 'axis', 0);
    if (axis < 0) axis += rank;
    let offset = 0;
    return node.input.map((x, i) => {
      const len = ctx.shape(x)[axis];
      const start = offset;
      offset += len;
      if (!gy || !needs[i]) return undefined;
      return ctx.b.op('Slice', [gy, ctx.b.constI64([start]), ctx.b.constI64([start + len]), ctx.b.constI64([axis])]);
    });
  },
};
