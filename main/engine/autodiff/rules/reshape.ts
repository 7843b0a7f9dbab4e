// Reshape and Flatten only move the view: the gradient is reshaped back to the input's shape.
import type { BackwardRule } from '../types';
import { reshape } from './util';

function viewRule(opType: string): BackwardRule {
  return {
    opType,
    backward(node, [gy], needs, ctx) {
      const g = gy && needs[0] ? reshape(ctx, gy, ctx.shape(node.input[0])) : undefined;
      return [g, ...node.input.slice(1).map(() => undefined)];
    },
  };
}

export const reshapeRule = viewRule('Reshape');
export const flattenRule = viewRule('Flatten');
