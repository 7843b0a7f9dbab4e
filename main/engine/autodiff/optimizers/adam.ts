// Adam and AdamW as torch.optim: m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
// w -= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε). Adam adds wd·w to g; AdamW decays w by (1 − lr·wd) first.
import type { OptimizerConfig, OptimizerFactory } from './types';

function adamLike(decoupled: boolean): OptimizerFactory {
  return (c: OptimizerConfig) => {
    const b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999, eps = c.eps ?? 1e-8;
    const wd = c.weightDecay ?? (decoupled ? 0.01 : 0);
    return {
      slots: ['exp_avg', 'exp_avg_sq'],
      update(b, a) {
        let w = a.param, g = a.grad;
        if (wd && decoupled) w = b.op('Mul', [w, b.op('Sub', [b.scalar(1), b.op('Mul', [a.lr, b.scalar(wd)])])]);
        if (wd && !decoupled) g = b.op('Add', [g, b.op('Mul', [w, b.scalar(wd)])]);
        const m = b.op('Add', [b.op('Mul', [a.slots[0], b.scalar(b1)]), b.op('Mul', [g, b.scalar(1 - b1)])]);
        const v = b.op('Add', [b.op('Mul', [a.slots[1], b.scalar(b2)]), b.op('Mul', [b.op('Mul', [g, g]), b.scalar(1 - b2)])]);
        const bc1 = b.op('Sub', [b.scalar(1), b.op('Pow', [b.scalar(b1), a.step])]);
        const bc2 = b.op('Sub', [b.scalar(1), b.op('Pow', [b.scalar(b2), a.step])]);
        const denom = b.op('Add', [b.op('Div', [b.op('Sqrt', [v]), b.op('Sqrt', [bc2])]), b.scalar(eps)]);
        const stepSize = b.op('Div', [a.lr, bc1]);
        const nw = b.op('Sub', [w, b.op('Mul', [stepSize, b.op('Div', [m, denom])])]);
        return { param: nw, slots: [m, v] };
      },
    };
  };
}

export const adam = adamLike(false);
export const adamw = adamLike(true);
