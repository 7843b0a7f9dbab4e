// Mul with broadcasting: dA = gy·B, dB = gy·A, each summed to its input's shape.
import type { BackwardRule } from '../types';
import { unbroadcast } from './util';

export const mulRule: BackwardRule = {
  opType: 'Mul',
  backward(node, [gy], needs, ctx) {
    const sy = ctx.shape(node.output[0]);
    const [a, b] = node.input;
    const ga = gy && needs[0] ? unbroadcast(ctx, ctx.b.op('Mul', [gy, b]), sy, ctx.shape(a)) : undefined;
    const gb = gy && needs[1] ? unbroadcast(ctx, ctx.b.op('Mul', [gy, a]), sy, ctx.shape(b)) : undefined;
    return [ga, gb];
  },
};
