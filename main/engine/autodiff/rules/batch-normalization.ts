// BatchNormalization in training mode, written out from primitives: batch mean and (biased) variance
// normalise; the running statistics follow PyTorch (running = (1−m)·running + m·batch with m = 1 − the
// ONNX momentum, and the *unbiased* batch variance). Backward is the closed form over the batch:
// dx = invstd · (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dγ = Σ gy·x̂, dβ = Σ gy.
import { getAttr } from '../../onnx/builder';
import type { BackwardRule } from '../types';
import { allButChannel, numel, reshape } from './util';

interface Saved { xhat: string; invstd: string; axes: number[]; bshape: number[] }

export const batchNormalizationRule: BackwardRule = {
  opType: 'BatchNormalization',
  forward(node, ctx) {
    const { b } = ctx;
    const [x, scale, bias, runMean, runVar] = node.input;
    const xs = ctx.shape(x);
    const C = xs[1];
    const axes = allButChannel(xs.length);
    const bshape = xs.map((d, i) => (i === 1 ? d : 1));
    const count = numel(xs) / C;
    const eps = getAttr(node, 'epsilon', 1e-5);
    const momentum = getAttr(node, 'momentum', 0.9);
    const mean = b.op('ReduceMean', [x], { axes, keepdims: 1 });
    const xc = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Mul', [xc, xc])], { axes, keepdims: 1 });
    const invstd = b.op('Reciprocal', [b.op('Sqrt', [b.op('Add', [variance, b.scalar(eps)])])]);
    const xhat = b.op('Mul', [xc, invstd]);
    const scaled = b.op('Mul', [xhat, b.op('Reshape', [scale, b.constI64(bshape)])]);
    b.op('Add', [scaled, b.op('Reshape', [bias, b.constI64(bshape)])], {}, node.output[0]);
    const flatMean = b.op('Reshape', [mean, b.constI64([C])]);
    const flatVar = b.op('Reshape', [b.op('Mul', [variance, b.scalar(count / Math.max(1, count - 1))]), b.constI64([C])]);
    const blend = (run: string, batch: string) =>
      b.op('Add', [b.op('Mul', [run, b.scalar(momentum)]), b.op('Mul', [batch, b.scalar(1 - momentum)])]);
    ctx.stateUpdate(runMean, blend(runMean, flatMean));
    ctx.stateUpdate(runVar, blend(runVar, flatVar));
    return { xhat, invstd, axes, bshape } satisfies Saved;
  },
  backward(node, [gy], needs, ctx, saved) {
    if (!gy) return node.input.map(() => undefined);
    const { b } = ctx;
    const { xhat, invstd, axes, bshape } = saved as Saved;
    const scale = node.input[1];
    const sumAxes = b.constI64(axes);
    const dbeta = needs[2] ? b.op('ReduceSum', [gy, sumAxes], { keepdims: 0 }) : undefined;
    const dgamma = needs[1] ? b.op('ReduceSum', [b.op('Mul', [gy, xhat]), sumAxes], { keepdims: 0 }) : undefined;
    let dx: string | undefined;
    if (needs[0]) {
      const dxhat = b.op('Mul', [gy, reshape(ctx, scale, bshape)]);
      const m1 = b.op('ReduceMean', [dxhat], { axes, keepdims: 1 });
      const m2 = b.op('ReduceMean', [b.op('Mul', [dxhat, xhat])], { axes, keepdims: 1 });
      const inner = b.op('Sub', [b.op('Sub', [dxhat, m1]), b.op('Mul', [xhat, m2])]);
      dx = b.op('Mul', [inner, invstd]);
    }
    return [dx, dgamma, dbeta, undefined, undefined];
  },
};
