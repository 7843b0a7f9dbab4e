// Dropout in training: y = x · mask, the mask (0 or 1/(1−ratio)) fed from JS per step, so the same
// seed gives the same masks on every execution provider. Backward: gy · mask.
import type { NodeProto } from '../../onnx/proto';
import type { BackwardRule, ForwardContext } from '../types';
import { AutodiffError } from '../types';
import { getAttr } from '../../onnx/builder';

// Opset 12+: the ratio is an optional input (a constant here); older graphs carry it as an attribute.
function ratioOf(node: NodeProto, ctx: ForwardContext): number {
  if (!node.input[1]) return getAttr(node, 'ratio', 0.5);
  const v = ctx.constant(node.input[1]);
  if (!v || v.length !== 1) throw new AutodiffError(`Dropout ${node.name ?? ''}: its ratio "${node.input[1]}" must be a constant scalar to train`);
  return v[0];
}

export const dropoutRule: BackwardRule = {
  opType: 'Dropout',
  forward(node, ctx) {
    const ratio = ratioOf(node, ctx);
    if (ratio === 0) { ctx.b.op('Identity', [node.input[0]], {}, node.output[0]); return undefined; }
    const mask = ctx.perStepInput('dropout_mask', ctx.shape(node.input[0]), { kind: 'dropout-mask', ratio });
    ctx.b.op('Mul', [node.input[0], mask], {}, node.output[0]);
    return mask;
  },
  backward(_node, [gy], needs, ctx, saved) {
    if (!gy || !needs[0]) return [undefined];
    return [saved ? ctx.b.op('Mul', [gy, saved as string]) : gy, undefined, undefined];
  },
};
