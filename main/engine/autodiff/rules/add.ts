// Add with broadcasting: each input gets the output gradient summed to its shape.
import type { BackwardRule } from '../types';
import { unbroadcast } from './util';

export const addRule: BackwardRule = {
  opType: 'Add',
  backward(node, [gy], needs, ctx) {
    const sy = ctx.shape(node.output[0]);
    return node.input.map((x, i) => (gy && needs[i] ? unbroadcast(ctx, gy, sy, ctx.shape(x)) : undefined));
  },
};
