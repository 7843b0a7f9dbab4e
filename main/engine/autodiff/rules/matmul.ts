// MatMul with batch broadcasting: dA = gy·Bᵀ, dB = Aᵀ·gy, each summed back to its input's shape.
import type { BackwardRule } from '../types';
import { AutodiffError } from '../types';
import { unbroadcast } from './util';

function swapLast(rank: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  [p[rank - 2], p[rank - 1]] = [p[rank - 1], p[rank - 2]];
  return p;
}

export const matmulRule: BackwardRule = {
  opType: 'MatMul',
  backward(node, [gy], needs, ctx) {
    const [a, b] = node.input;
    const sa = ctx.shape(a), sb = ctx.shape(b), sy = ctx.shape(node.output[0]);
    if (sa.length < 2 || sb.length < 2) throw new AutodiffError(`MatMul ${node.name ?? ''}: 1-D operands are not supported for training`);
    if (!gy) return [undefined, undefined];
    let ga: string | undefined;
    let gb: string | undefined;
    if (needs[0]) {
      const bt = ctx.b.op('Transpose', [b], { perm: swapLast(sb.length) });
      const full = ctx.b.op('MatMul', [gy, bt]);
      ga = unbroadcast(ctx, full, [...sy.slice(0, -2), sa[sa.length - 2], sa[sa.length - 1]], sa);
    }
    if (needs[1]) {
      const at = ctx.b.op('Transpose', [a], { perm: swapLast(sa.length) });
      const full = ctx.b.op('MatMul', [at, gy]);
      gb = unbroadcast(ctx, full, [...sy.slice(0, -2), sb[sb.length - 2], sb[sb.length - 1]], sb);
    }
    return [ga, gb];
  },
};
