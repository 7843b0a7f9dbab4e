// AveragePool: the gradient spreads each output's gradient evenly over its window — a depthwise
// ConvTranspose with a constant 1/(kh·kw) kernel.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';
import { AutodiffError } from '../types';

export const averagePoolRule: BackwardRule = {
  opType: 'AveragePool',
  backward(node, [gy], needs, ctx) {
    if (!gy || !needs[0]) return [undefined];
    const [, C, H, W] = ctx.shape(node.input[0]);
    const [, , Ho, Wo] = ctx.shape(node.output[0]);
    const [kh, kw] = getAttr(node, 'kernel_shape', [1, 1]);
    const strides = getAttr(node, 'strides', [1, 1]);
    const pads = getAttr(node, 'pads', [0, 0, 0, 0]);
    if (getAttr(node, 'auto_pad', 'NOTSET') !== 'NOTSET' || getAttr(node, 'ceil_mode', 0)) {
      throw new AutodiffError(`AveragePool ${node.name ?? ''}: auto_pad and ceil_mode are not supported for training`);
    }
    if (pads.some((p) => p) && !getAttr(node, 'count_include_pad', 0)) {
      throw new AutodiffError(`AveragePool ${node.name ?? ''}: padding without count_include_pad is not supported for training`);
    }
    const kernel = ctx.b.constF(new Float32Array(C * kh * kw).fill(1 / (kh * kw)), [C, 1, kh, kw]);
    const outPad = [H + pads[0] + pads[2] - ((Ho - 1) * strides[0] + kh), W + pads[1] + pads[3] - ((Wo - 1) * strides[1] + kw)];
    return [ctx.b.op('ConvTranspose', [gy, kernel], {
      strides, pads, group: C, output_padding: outPad.some((p) => p) ? outPad : undefined,
    })];
  },
};
