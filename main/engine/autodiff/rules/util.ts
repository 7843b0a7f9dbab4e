// Helpers shared by backward rules.
import type { BackwardContext } from '../types';

/** Sum a gradient of shape `from` down to shape `to` (NumPy broadcasting in reverse). */
export function unbroadcast(ctx: BackwardContext, grad: string, from: number[], to: number[]): string {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return grad;
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead) axes.push(i);
    else if (to[i - lead] === 1 && from[i] !== 1) axes.push(i);
  }
  let g = grad;
  if (axes.length) g = ctx.b.op('ReduceSum', [g, ctx.b.constI64(axes)], { keepdims: 1 });
  return ctx.b.op('Reshape', [g, ctx.b.constI64(to)]);
}

export function numel(shape: number[]): number { return shape.reduce((a, b) => a * b, 1); }

/** Reshape a value to a static shape. */
export function reshape(ctx: BackwardContext, v: string, shape: number[]): string {
  return ctx.b.op('Reshape', [v, ctx.b.constI64(shape)]);
}

/** Axes of a rank-r tensor other than the channel axis 1 (BatchNorm/bias reductions). */
export function allButChannel(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);
}
