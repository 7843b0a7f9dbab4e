// MaxPool: the forward also returns argmax Indices (flat over the whole input); the gradient is
// scattered back with ScatterElements(reduction=add), so overlapping windows add up correctly.
import type { BackwardRule } from '../types';
import { AutodiffError } from '../types';
import { getAttr } from '../../onnx/builder';
import { numel } from './util';

export const maxPoolRule: BackwardRule = {
  opType: 'MaxPool',
  forward(node, ctx) {
    if (getAttr(node, 'storage_order', 0) !== 0) throw new AutodiffError('MaxPool with storage_order=1 cannot be trained');
    const indices = node.output[1] || ctx.b.fresh('maxpool_indices');
    ctx.b.addNode({ ...node, output: [node.output[0], indices] });
    return indices;
  },
  backward(node, [gy], needs, ctx, saved) {
    if (!gy || !needs[0]) return [undefined];
    const { b } = ctx;
    const xs = ctx.shape(node.input[0]);
    const zeros = b.op('ConstantOfShape', [b.constI64([numel(xs)])]);
    const idx = b.op('Reshape', [saved as string, b.constI64([-1])]);
    const upd = b.op('Reshape', [gy, b.constI64([-1])]);
    const flat = b.op('ScatterElements', [zeros, idx, upd], { axis: 0, reduction: 'add' });
    return [b.op('Reshape', [flat, b.constI64(xs)])];
  },
};
