// Gemm: Y = alpha·op(A)·op(B) + beta·C. Gradients are Gemms with the transposes folded into flags.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';
import { unbroadcast } from './util';

export const gemmRule: BackwardRule = {
  opType: 'Gemm',
  backward(node, [gy], needs, ctx) {
    const [a, bm, c] = node.input;
    const alpha = getAttr(node, 'alpha', 1.0);
    const beta = getAttr(node, 'beta', 1.0);
    const tA = getAttr(node, 'transA', 0);
    const tB = getAttr(node, 'transB', 0);
    const scale = { alpha: { float: alpha } };
    let ga: string | undefined;
    let gb: string | undefined;
    let gc: string | undefined;
    // op(A)=A' (M×K), op(B)=B' (K×N), gy M×N. dA' = gy·B'ᵀ, dB' = A'ᵀ·gy.
    if (needs[0] && gy) {
      ga = tA
        ? ctx.b.op('Gemm', [bm, gy], { ...scale, transA: tB ? 1 : 0, transB: 1 }) // dA = B'·gyᵀ
        : ctx.b.op('Gemm', [gy, bm], { ...scale, transA: 0, transB: tB ? 0 : 1 });
    }
    if (needs[1] && gy) {
      gb = tB
        ? ctx.b.op('Gemm', [gy, a], { ...scale, transA: 1, transB: tA ? 1 : 0 }) // dB = gyᵀ·A'
        : ctx.b.op('Gemm', [a, gy], { ...scale, transA: tA ? 0 : 1, transB: 0 });
    }
    if (c && needs[2] && gy) {
      let g = unbroadcast(ctx, gy, ctx.shape(node.output[0]), ctx.shape(c));
      if (beta !== 1) g = ctx.b.op('Mul', [g, ctx.b.scalar(beta)]);
      gc = g;
    }
    return [ga, gb, gc];
  },
};
