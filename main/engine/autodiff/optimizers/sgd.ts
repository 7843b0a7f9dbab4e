// SGD as torch.optim.SGD (dampening 0): g += wd·w; buf = m·buf + g; g = nesterov ? g + m·buf : buf;
// w -= lr·g. The zero-initialised buffer gives buf = g on the first step, as PyTorch's clone does.
import type { OptimizerFactory } from './types';

export const sgd: OptimizerFactory = (c) => {
  const m = c.momentum ?? 0, wd = c.weightDecay ?? 0, nesterov = !!c.nesterov;
  return {
    slots: m ? ['momentum_buffer'] : [],
    update(b, a) {
      let g = a.grad;
      if (wd) g = b.op('Add', [g, b.op('Mul', [a.param, b.scalar(wd)])]);
      const slots: string[] = [];
      if (m) {
        const buf = b.op('Add', [b.op('Mul', [a.slots[0], b.scalar(m)]), g]);
        slots.push(buf);
        g = nesterov ? b.op('Add', [g, b.op('Mul', [buf, b.scalar(m)])]) : buf;
      }
      return { param: b.op('Sub', [a.param, b.op('Mul', [g, a.lr])]), slots };
    },
  };
};
