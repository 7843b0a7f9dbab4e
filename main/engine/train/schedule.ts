// Learning-rate schedules, per epoch as PyTorch's StepLR / CosineAnnealingLR (stepped once an epoch).
export type LrSchedule =
  | { type: 'constant' }
  | { type: 'step'; stepSize: number; gamma: number }
  | { type: 'cosine'; minLr?: number };

/** Learning rate for 1-based `epoch` of `epochs`. */
export function lrAt(base: number, s: LrSchedule, epoch: number, epochs: number): number {
  switch (s.type) {
    case 'constant': return base;
    case 'step': return base * Math.pow(s.gamma, Math.floor((epoch - 1) / Math.max(1, s.stepSize)));
    case 'cosine': {
      const min = s.minLr ?? 0;
      return min + ((base - min) * (1 + Math.cos((Math.PI * (epoch - 1)) / Math.max(1, epochs)))) / 2;
    }
  }
}

/** A run's schedule: constant when none is given. */
export function scheduleOf(o: { schedule?: LrSchedule }): LrSchedule {
  return o.schedule ?? { type: 'constant' };
}

/** The learning rate of 1-based `epoch` of a run, from its base rate, schedule and epoch count. */
export function runLrAt(o: { lr: number; schedule?: LrSchedule; epochs: number }, epoch: number): number {
  return lrAt(o.lr, scheduleOf(o), epoch, o.epochs);
}
